# Tutorial: MASQUERADE and SNAT --to-source out of one uplink of a router
# namespace gw (topologies/snat-uplink.yaml).
for n in gw office servers isp; do ip netns add $n; ip -n $n link set lo up; done
ip link add in1 type veth peer name eth0
ip link set in1 netns gw
ip link set eth0 netns office
ip link add in2 type veth peer name eth0
ip link set in2 netns gw
ip link set eth0 netns servers
ip link add uplink type veth peer name eth0
ip link set uplink netns gw
ip link set eth0 netns isp
ip -n gw addr add 10.0.1.1/24 dev in1
ip -n gw addr add 10.0.2.1/24 dev in2
ip -n gw addr add 203.0.113.1/24 dev uplink
ip -n gw addr add 203.0.113.10/24 dev uplink
ip -n office addr add 10.0.1.2/24 dev eth0
ip -n servers addr add 10.0.2.2/24 dev eth0
ip -n isp addr add 203.0.113.254/24 dev eth0
for d in in1 in2 uplink; do ip -n gw link set $d up; done
for n in office servers isp; do ip -n $n link set eth0 up; done
ip -n office route add default via 10.0.1.1
ip -n servers route add default via 10.0.2.1
ip netns exec gw sysctl -qw net.ipv4.ip_forward=1
ip netns exec gw iptables -t nat -A POSTROUTING -s 10.0.1.0/24 -o uplink -j MASQUERADE
ip netns exec gw iptables -t nat -A POSTROUTING -s 10.0.2.0/24 -o uplink -j SNAT --to-source 203.0.113.10
