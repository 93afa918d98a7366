// Process-level test helpers: a scratch directory, and a real `reserved serve` child process
// listening on 127.0.0.1:0.
//
// Nothing here asserts: every failure is returned as a status carrying enough context (the
// command line and the tail of the child's stderr) to diagnose it from the test log.
#ifndef RESERVE_TESTS_SERVER_PROCESS_H_
#define RESERVE_TESTS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"

namespace reserve::testing {

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with its contents on destruction
// unless RESERVE_KEEP_TMP is set in the environment (for post-mortems).
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(absl::string_view prefix);
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(absl::string_view name) const;

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  const std::string path_;
};

// Writes `contents` to `path` (created or truncated).
absl::Status WriteFile(const std::string& path, absl::string_view contents);
// Reads the whole file.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Runs `argv` (argv[0] is a path or a name looked up in PATH) to completion with stdout and
// stderr appended to `log_path`. Returns the exit code; an error if it could not be started
// or was killed by a signal.
absl::StatusOr<int> RunCommand(const std::vector<std::string>& argv, const std::string& log_path);

// What a finished command printed, and its exit status.
struct CommandResult {
  int exit_code = -1;  // -1 when a signal ended it or it could not be started (see `err`)
  std::string out;
  std::string err;
};

// Runs `argv` to completion with stdout and stderr captured separately in `out_path` and
// `err_path` (truncated first), without the environment variables named in `unset_env`.
CommandResult RunCapturing(const std::vector<std::string>& argv, const std::string& out_path,
                           const std::string& err_path,
                           const std::vector<std::string>& unset_env = {});

// The wait status of a finished child, decoded.
struct ExitInfo {
  std::optional<int> exit_code;  // set when the child exited normally
  std::optional<int> signal;     // set when a signal ended it
  std::string ToString() const;
};

struct ReservedOptions {
  // Arguments after `reserved serve`. The launcher adds --listen=127.0.0.1:0,
  // --port-file=<work_dir>/port.<n> and --metrics-listen=off (unless `metrics_off` is false).
  std::vector<std::string> serve_args;
  // Directory for the port file and the captured stdout/stderr (must exist).
  std::string work_dir;
  // Credentials for the readiness health check (insecure when null).
  std::shared_ptr<grpc::ChannelCredentials> health_credentials;
  // Bearer token sent with the health check (none when empty).
  std::string health_token;
  // Bounded wait for the port file and SERVING; generous because the machine may be slow.
  absl::Duration start_timeout = absl::Seconds(60);
  bool metrics_off = true;
};

// One `reserved serve` child process. The destructor SIGKILLs and reaps it if still running,
// so a failing test never leaks a server.
class ReservedProcess {
 public:
  // Spawns the binary at RESERVED_BINARY-style `binary` and waits (bounded) until it has
  // written its port file and the standard gRPC health check reports SERVING.
  // UNAVAILABLE (with the stderr tail) if it exits or does not become ready in time.
  static absl::StatusOr<std::unique_ptr<ReservedProcess>> Start(const std::string& binary,
                                                                ReservedOptions options);

  ReservedProcess(const ReservedProcess&) = delete;
  ReservedProcess& operator=(const ReservedProcess&) = delete;
  ~ReservedProcess();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string address() const;
  const std::string& stderr_path() const { return stderr_path_; }
  // The last `max_bytes` of the child's stderr (for failure messages).
  std::string StderrTail(size_t max_bytes = 4000) const;

  // Sends `signal` and waits (bounded by `timeout`) for the child to exit. On timeout the
  // child is SIGKILLed, reaped, and DEADLINE_EXCEEDED is returned.
  absl::StatusOr<ExitInfo> Stop(int signal, absl::Duration timeout = absl::Seconds(60));

  // True while the child has not exited (reaps it if it has).
  bool Alive();

 private:
  ReservedProcess(pid_t pid, std::string stderr_path)
      : pid_(pid), stderr_path_(std::move(stderr_path)) {}
  // Polls for the port file and then the health check.
  absl::Status WaitUntilServing(const ReservedOptions& options, const std::string& port_file);

  pid_t pid_;
  bool reaped_ = false;
  ExitInfo exit_;
  int port_ = 0;
  const std::string stderr_path_;
};

// Asks the standard grpc.health.v1.Health/Check (service "") once. OK when SERVING;
// UNAVAILABLE with the reason otherwise.
absl::Status CheckHealth(const std::string& address,
                         std::shared_ptr<grpc::ChannelCredentials> credentials,
                         const std::string& token, absl::Duration timeout);

}  // namespace reserve::testing

#endif  // RESERVE_TESTS_SERVER_PROCESS_H_
