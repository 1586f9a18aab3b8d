# Tutorial: where is the other end of a veth (topologies/veth-peer.yaml).
for n in ns1 ns2 ns3; do ip netns add $n; ip -n $n link set lo up; done
ip link add veth1 type veth peer name eth0
ip link set eth0 netns ns2
ip link set veth1 netns ns1
ip link add veth2 type veth peer name eth0
ip link set eth0 netns ns3
ip link set veth2 netns ns1
ip -n ns3 link add left type veth peer name right
ip -n ns1 addr add 10.0.1.1/24 dev veth1
ip -n ns1 addr add 10.0.2.1/24 dev veth2
ip -n ns2 addr add 10.0.1.2/24 dev eth0
ip -n ns3 addr add 10.0.2.2/24 dev eth0
for l in ns1:veth1 ns1:veth2 ns2:eth0 ns3:eth0 ns3:left ns3:right; do ip -n ${l%:*} link set ${l#*:} up; done
