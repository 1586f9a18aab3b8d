# Tutorial: the "forgot lo" lesson, solved (topologies/loopback.yaml).
ip netns add ns-a
ip netns add ns-b
ip -n ns-a link set lo up
ip -n ns-b link set lo up
