# Tutorial: three empty namespaces (topologies/netns-lifecycle.yaml).
ip netns add red
ip netns add green
ip netns add blue
for n in red green blue; do ip -n $n link set lo up; done
