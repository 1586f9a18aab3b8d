#include "unit.hpp"

#include <catch2/catch.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/boxed_optional.hpp>

#include <optional>
#include <string>

using namespace netlab;

TEST_CASE("BoxedOptional is a pointer's size and a value: copies are deep", "[boxed]") {
  STATIC_REQUIRE(sizeof(BoxedOptional<VxlanOptions>) == sizeof(void*));
  BoxedOptional<std::string> a;
  CHECK_FALSE(a);
  CHECK(a == std::nullopt);
  a = "aa:bb:cc:dd:ee:ff";
  REQUIRE(a.has_value());
  BoxedOptional<std::string> b = a;
  *b = "02:00:00:00:00:01";
  CHECK(*a == "aa:bb:cc:dd:ee:ff"); // b has its own string
  CHECK(a != b);
  b = a;
  CHECK(a == b);
  BoxedOptional<std::string> moved = std::move(b);
  CHECK(moved == "aa:bb:cc:dd:ee:ff");
  a.reset();
  CHECK(a.value_or("none") == "none");
  CHECK(moved.value_or("none") == "aa:bb:cc:dd:ee:ff");
  CHECK_THROWS_AS(a.value(), std::bad_optional_access);
  CHECK(a.emplace(3, 'x') == "xxx");
}

TEST_CASE("BoxedOptional compares with std::optional as std::optional does", "[boxed]") {
  BoxedOptional<Impairment> boxed;
  std::optional<Impairment> plain;
  Impairment rate;
  rate.rate_bps = 1'000'000;
  CHECK(boxed == plain); // both empty: equal, whichever side
  CHECK(plain == boxed);
  plain = rate;
  CHECK(boxed != plain);
  CHECK(plain != boxed);
  boxed = plain;
  CHECK(boxed == plain);
  CHECK(plain == boxed);
  CHECK(boxed == rate);
  std::optional<Impairment> back = boxed;
  CHECK(back == plain);
  boxed = std::nullopt;
  back = boxed;
  CHECK_FALSE(back);
}

TEST_CASE("Interface keeps its rarely set parts boxed", "[boxed]") {
  // The model's and the plan's size at 10,000 namespaces (bench/README.md): an
  // Interface was 768 bytes when every kind's options were inline.
  STATIC_REQUIRE(sizeof(Interface) <= 320);
  VxlanOptions tunnel;
  tunnel.id = 42;
  Interface veth;
  veth.name = "eth0";
  veth.vxlan = tunnel;
  Interface copy = veth;
  copy.vxlan->id = 7;
  CHECK(veth.vxlan->id == 42);
  CHECK_FALSE(copy.tun);
}
