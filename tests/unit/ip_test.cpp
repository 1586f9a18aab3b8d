#include <catch2/catch.hpp>
#include <netlab/util/ip.hpp>

using namespace netlab;

TEST_CASE("Cidr parses, prints and masks", "[ip]") {
  auto c = Cidr::parse("192.168.10.7/24");
  REQUIRE(c);
  CHECK(c->str() == "192.168.10.7/24");
  CHECK(c->network().str() == "192.168.10.0/24");
  CHECK(c->contains(*IpAddr::parse("192.168.10.200")));
  CHECK_FALSE(c->contains(*IpAddr::parse("192.168.11.1")));
  CHECK_FALSE(Cidr::parse("192.168.10.7"));
  CHECK(Cidr::parse("192.168.10.7", true)->prefix == 32);
  CHECK_FALSE(Cidr::parse("10.0.0.1/33"));
  CHECK_FALSE(Cidr::parse("10.0.0.1/"));
  CHECK(Cidr::parse("2001:db8::1/64")->network().str() == "2001:db8::/64");
  CHECK(IpAddr::parse("fe80::1")->is_link_local());
}
