# Tutorial: ARP and the bridge; a switch is a bridge in a namespace of its own
# (topologies/bridge-arp.yaml).
# deliberate: ipv4-only (the lab keeps IPv6 quiet so that the fdb starts empty: topologies/bridge-arp.yaml)
ip netns add sw
ip -n sw link set lo up
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
for n in 1 2 3; do
  ip netns add h$n
  ip -n h$n link set lo up
  ip -n sw link add p$n type veth peer name eth0 netns h$n
  ip -n sw link set p$n master br0
  ip -n sw link set p$n up
  ip -n h$n link set eth0 address 02:00:00:00:00:0$n
  ip -n h$n addr add 10.0.0.$n/24 dev eth0
  ip -n h$n link set eth0 up
done
