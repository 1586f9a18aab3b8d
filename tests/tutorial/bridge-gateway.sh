# Tutorial: three namespaces on a bridge in the host, whose address is their
# default gateway (topologies/bridge-gateway.yaml).
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
