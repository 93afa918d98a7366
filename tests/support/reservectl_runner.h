// Running the real `reservectl` (RESERVECTL_BINARY) as a subprocess against a real `reserved`,
// as the end-to-end CLI suites do (tests/clients, tests/decision, tests/commercial): what a
// person or a script sees, stdout, stderr and the exit status.
#ifndef RESERVE_TESTS_SUPPORT_RESERVECTL_RUNNER_H_
#define RESERVE_TESTS_SUPPORT_RESERVECTL_RUNNER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tests/server/process.h"

namespace reserve::testing {

// Runs `binary --address <address> [--token <token>] <args...>` to completion, with
// RESERVE_TOKEN and RESERVE_ADDRESS removed from its environment (so only the flags count).
// No --token when `token` is empty. Its stdout and stderr stay in `dir` as ctl.<n>.out and
// ctl.<n>.err.
CommandResult RunReservectl(const std::string& binary, const std::string& dir,
                            const std::string& address, const std::string& token,
                            const std::vector<std::string>& args);

// The non-empty lines of `text` (LF or CRLF line ends).
std::vector<std::string> Lines(absl::string_view text);

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SUPPORT_RESERVECTL_RUNNER_H_
