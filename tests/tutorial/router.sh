# Tutorial: a router namespace forwarding between two subnets (topologies/router.yaml).
for n in router h1 h2; do ip netns add $n; ip -n $n link set lo up; done
ip link add eth1 type veth peer name eth0
ip link set eth1 netns router
ip link set eth0 netns h1
ip link add eth2 type veth peer name eth0
ip link set eth2 netns router
ip link set eth0 netns h2
ip -n router addr add 10.0.1.1/24 dev eth1
ip -n router addr add 10.0.2.1/24 dev eth2
ip -n h1 addr add 10.0.1.2/24 dev eth0
ip -n h2 addr add 10.0.2.2/24 dev eth0
ip -n router link set eth1 up
ip -n router link set eth2 up
ip -n h1 link set eth0 up
ip -n h2 link set eth0 up
ip -n h1 route add default via 10.0.1.1
ip -n h2 route add default via 10.0.2.1 dev eth0
ip netns exec router sysctl -qw net.ipv4.ip_forward=1
