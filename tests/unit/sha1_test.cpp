#include <catch2/catch.hpp>

#include <string>

#include "generator/io/sha1.hpp"

using namespace berth;

TEST_CASE("sha1_hex gives FIPS 180-4's digests") {
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  // 56 bytes: the padding needs a second block.
  CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(sha1_hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(sha1_hex("caf\xc3\xa9") == "f424452a9673918c6f09b0cdd35b20be8e6ae7d7");  // sha1sum
}
