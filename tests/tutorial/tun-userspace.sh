# Tutorial: persistent tun and tap devices, the tap a bridge port
# (topologies/tun-userspace.yaml). No program has them open yet.
ip netns add ns1
ip netns add ns2
ip -n ns1 link set lo up
ip -n ns2 link set lo up
ip -n ns1 tuntap add tun0 mode tun
ip -n ns1 addr add 10.9.0.1/24 dev tun0
ip -n ns1 link set tun0 up
ip -n ns1 link add br0 type bridge
ip -n ns1 addr add 10.8.0.1/24 dev br0
ip -n ns1 link set br0 up
ip -n ns1 tuntap add tap0 mode tap
ip -n ns1 link set tap0 master br0
ip -n ns1 link set tap0 up
ip -n ns1 link add vbr type veth peer name eth0 netns ns2
ip -n ns1 link set vbr master br0
ip -n ns1 link set vbr up
ip -n ns2 addr add 10.8.0.2/24 dev eth0
ip -n ns2 link set eth0 up
