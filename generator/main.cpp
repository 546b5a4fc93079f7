#include "generator/cli.hpp"

int main(int argc, char** argv) {
  return berth::run_cli(argc, argv);
}
