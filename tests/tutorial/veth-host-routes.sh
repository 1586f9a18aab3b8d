# Tutorial: 7.7.7.7 and 6.6.6.6 joined by host routes (topologies/veth-host-routes.yaml).
ip netns add ns1
ip link add veth0 type veth peer name veth1
ip link set veth1 netns ns1
ip addr add 6.6.6.6/24 dev veth0
ip link set veth0 up
ip -n ns1 addr add 7.7.7.7/24 dev veth1
ip -n ns1 link set veth1 up
ip -n ns1 link set lo up
ip route add 7.7.7.7 dev veth0
ip -n ns1 route add 6.6.6.6 dev veth1
