# Tutorial: what Docker's default bridge network does, by hand
# (topologies/docker-style.yaml): MACs derived from the IP, a published port.
ip link add nlbr0 type bridge
ip addr add 172.18.0.1/16 dev nlbr0
ip link set nlbr0 up
for n in 1 2 3; do
  ip netns add c$n
  ip link add veth-c$n type veth peer name eth0
  ip link set eth0 netns c$n
  ip link set veth-c$n master nlbr0
  ip link set veth-c$n up
  ip -n c$n link set eth0 address 02:42:ac:12:00:0$((n + 1))
  ip -n c$n addr add 172.18.0.$((n + 1))/16 dev eth0
  ip -n c$n link set eth0 up
  ip -n c$n link set lo up
  ip -n c$n route add default via 172.18.0.1
done
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 172.18.0.0/16 -j MASQUERADE
iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80
iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80
