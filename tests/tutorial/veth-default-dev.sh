# Tutorial: the 7.7.7.7 / 6.6.6.6 exercise as written (topologies/veth-default-dev.yaml).
ip netns add ns1
ip link add vethY type veth peer name vethZ
ip link set vethZ netns ns1
ip -n ns1 addr add 7.7.7.7/24 dev vethZ
ip -n ns1 link set vethZ up
ip -n ns1 link set lo up
ip link set vethY up
ip -n ns1 route add default dev vethZ
ip route add 7.7.7.0/24 dev vethY
ip link add br6 type bridge; ip addr add 6.6.6.6/32 dev br6; ip link set br6 up
