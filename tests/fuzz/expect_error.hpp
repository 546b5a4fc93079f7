#pragma once

// What every fuzz target asks of berth's readers: accept the input or throw berth::Error, which
// berth prints as `berth: error: ...`; any other exception (or a crash) escapes and is a bug.

#include "store/error.hpp"

template <class F>
void expect_berth_error_only(F&& fn) {
  try {
    fn();
  } catch (const berth::Error&) {
  }
}
