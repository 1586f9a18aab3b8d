# Tutorial: bridge-gateway plus ip_forward, MASQUERADE out of an uplink to a
# `lan` namespace and a DNAT port forward (topologies/bridge-nat.yaml).
ip link add mybridge type bridge
ip addr add 192.168.10.1/24 dev mybridge
ip link set mybridge up
for i in 1:vethA:vethB:2 2:vethC:vethD:3 3:vethE:vethF:4; do
  IFS=: read n host inside last <<< "$i"
  ip netns add ns$n
  ip link add $host type veth peer name $inside
  ip link set $inside netns ns$n
  ip link set $host master mybridge
  ip link set $host up
  ip -n ns$n addr add 192.168.10.$last/24 dev $inside
  ip -n ns$n link set $inside up
  ip -n ns$n link set lo up
  ip -n ns$n route add default via 192.168.10.1
done
ip netns add lan
ip link add uplink type veth peer name eth0
ip link set eth0 netns lan
ip addr add 203.0.113.1/24 dev uplink
ip link set uplink up
ip -n lan addr add 203.0.113.2/24 dev eth0
ip -n lan link set eth0 up
ip -n lan link set lo up
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 192.168.10.0/24 -o uplink -j MASQUERADE
iptables -t nat -A PREROUTING -i uplink -p tcp --dport 8080 -j DNAT --to-destination 192.168.10.4:80
