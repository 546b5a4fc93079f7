#pragma once

namespace berth {

// Runs the berth command line; returns the process exit code (see docs/cli.md).
int run_cli(int argc, char** argv);

}  // namespace berth
