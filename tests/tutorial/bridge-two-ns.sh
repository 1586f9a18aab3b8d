# Tutorial: two namespaces on a bridge with no address, each end named eth0
# inside (topologies/bridge-two-ns.yaml).
ip netns add ns1
ip netns add ns2
ip link add br0 type bridge
ip link set br0 up
for n in 1 2; do
  ip link add veth-ns$n type veth peer name eth0
  ip link set eth0 netns ns$n
  ip link set veth-ns$n master br0
  ip link set veth-ns$n up
  ip -n ns$n addr add 10.0.0.$n/24 dev eth0
  ip -n ns$n link set eth0 up
  ip -n ns$n link set lo up
done
