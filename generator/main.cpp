#include <cstdio>

#include "generator/cli/cli.hpp"

int main(int argc, char** argv) {
  try {
    return berth::run_cli(argc, argv);
  } catch (...) {
    // run_cli reports every std::exception itself; this is the last guard against an abort.
    std::fputs("berth: error: unexpected failure\n", stderr);
    return 1;
  }
}
