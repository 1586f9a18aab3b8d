# Tutorial: Docker's trick, a process's namespace named by a bind mount and
# wired into a bridge beside a namespace made by `ip netns add`
# (topologies/container-netns.yaml). The "container" first, as the lab's
# comment makes it (unshare makes the bind mount itself):
touch /run/netns/ctr
unshare --net=/run/netns/ctr true
# the lab starts here
ip netns add c2
ip -n c2 link set lo up
ip link add ctrbr0 type bridge
ip addr add 172.30.0.1/24 dev ctrbr0
ip link set ctrbr0 up
for n in ctr c2; do
  ip link add veth$n type veth peer name eth0
  ip link set eth0 netns $n
  ip link set veth$n master ctrbr0
  ip link set veth$n up
  ip -n $n link set eth0 up
done
ip -n ctr addr add 172.30.0.2/24 dev eth0
ip -n c2 addr add 172.30.0.3/24 dev eth0
ip -n ctr route add default via 172.30.0.1
ip -n c2 route add default via 172.30.0.1
