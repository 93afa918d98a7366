#include "tests/server/process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/memory/memory.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace reserve::testing {
namespace {

// How often the launcher polls for the port file, health and child exit.
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);
// One health-check attempt; a slow machine gets many attempts within start_timeout.
constexpr absl::Duration kHealthAttemptTimeout = absl::Seconds(5);

std::atomic<int> g_launch_counter{0};

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

ExitInfo Decode(int wait_status) {
  ExitInfo info;
  if (WIFEXITED(wait_status)) {
    info.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    info.signal = WTERMSIG(wait_status);
  }
  return info;
}

// `name` itself when it contains a '/', else its first executable match on PATH (resolved
// before fork, so the child only calls execv).
std::string ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return name;  // execv fails and the child reports it
}

// Where a child's output goes, and what it does not inherit.
struct ChildIo {
  std::string stdout_path;
  std::string stderr_path;  // the same file as stdout_path: one descriptor for both
  bool truncate = false;    // start the files empty (else append)
  std::vector<std::string> unset_env;
};

// stdout and stderr appended to one log file.
ChildIo LogTo(const std::string& log_path) {
  ChildIo io;
  io.stdout_path = log_path;
  io.stderr_path = log_path;
  return io;
}

// This process's environment without the variables named in `unset`.
std::vector<std::string> EnvironmentWithout(const std::vector<std::string>& unset) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    absl::string_view name = entry.substr(0, entry.find('='));
    if (std::find(unset.begin(), unset.end(), name) == unset.end()) env.emplace_back(entry);
  }
  return env;
}

// Spawns argv with stdin from /dev/null and stdout and stderr into the files `io` names. The
// child gets SIGKILL if the spawning thread dies, so a crashed test never leaks a server.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const ChildIo& io) {
  // Everything the child needs is prepared before fork: after fork only async-signal-safe
  // calls are allowed (the parent has gRPC threads).
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    c_argv.push_back(const_cast<char*>(arg.c_str()));
  }
  c_argv.push_back(nullptr);
  const std::vector<std::string> env = EnvironmentWithout(io.unset_env);
  std::vector<char*> c_env;
  c_env.reserve(env.size() + 1);
  for (const std::string& entry : env) {
    c_env.push_back(const_cast<char*>(entry.c_str()));
  }
  c_env.push_back(nullptr);
  const std::string executable = ResolveExecutable(argv.at(0));
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (io.truncate ? O_TRUNC : O_APPEND);
  int out_fd = ::open(io.stdout_path.c_str(), flags, 0644);
  if (out_fd < 0) {
    return ErrnoStatus(absl::StrCat("open ", io.stdout_path));
  }
  int err_fd =
      io.stderr_path == io.stdout_path ? out_fd : ::open(io.stderr_path.c_str(), flags, 0644);
  if (err_fd < 0) {
    ::close(out_fd);
    return ErrnoStatus(absl::StrCat("open ", io.stderr_path));
  }
  auto close_files = [&] {
    ::close(out_fd);
    if (err_fd != out_fd) ::close(err_fd);
  };
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close_files();
    return ErrnoStatus("open /dev/null");
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    close_files();
    ::close(null_fd);
    return ErrnoStatus("fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execve(executable.c_str(), c_argv.data(), c_env.data());
    static constexpr char kMessage[] = "exec failed\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    (void)ignored;
    ::_exit(127);
  }
  close_files();
  ::close(null_fd);
  return pid;
}

// Waits (retrying on EINTR) for a child spawned by Spawn.
absl::StatusOr<ExitInfo> Wait(pid_t pid) {
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      return ErrnoStatus("waitpid");
    }
  }
  return Decode(wait_status);
}

// Non-blocking reap; the exit info if the child has finished.
std::optional<ExitInfo> TryReap(pid_t pid) {
  int wait_status = 0;
  pid_t r = ::waitpid(pid, &wait_status, WNOHANG);
  if (r == pid) {
    return Decode(wait_status);
  }
  return std::nullopt;
}

std::string Tail(const std::string& path, size_t max_bytes) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) {
    return absl::StrCat("(no log: ", contents.status().ToString(), ")");
  }
  if (contents->size() <= max_bytes) {
    return *contents;
  }
  return absl::StrCat("...", contents->substr(contents->size() - max_bytes));
}

}  // namespace

std::string ExitInfo::ToString() const {
  if (exit_code.has_value()) {
    return absl::StrCat("exit code ", *exit_code);
  }
  if (signal.has_value()) {
    return absl::StrCat("killed by signal ", *signal, " (", strsignal(*signal), ")");
  }
  return "unknown wait status";
}

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(absl::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl =
      absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/", prefix, ".XXXXXX");
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return ErrnoStatus(absl::StrCat("mkdtemp ", tmpl));
  }
  return absl::WrapUnique(new ScratchDir(std::string(buffer.data())));
}

ScratchDir::~ScratchDir() {
  if (std::getenv("RESERVE_KEEP_TMP") != nullptr) {
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::Sub(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::StatusOr<int> RunCommand(const std::vector<std::string>& argv, const std::string& log_path) {
  absl::StatusOr<pid_t> pid = Spawn(argv, LogTo(log_path));
  if (!pid.ok()) {
    return pid.status();
  }
  absl::StatusOr<ExitInfo> info = Wait(*pid);
  if (!info.ok()) {
    return info.status();
  }
  if (!info->exit_code.has_value()) {
    return absl::InternalError(
        absl::StrCat(absl::StrJoin(argv, " "), ": ", info->ToString(), "\n", Tail(log_path, 2000)));
  }
  return *info->exit_code;
}

CommandResult RunCapturing(const std::vector<std::string>& argv, const std::string& out_path,
                           const std::string& err_path, const std::vector<std::string>& unset_env) {
  CommandResult result;
  ChildIo io;
  io.stdout_path = out_path;
  io.stderr_path = err_path;
  io.truncate = true;
  io.unset_env = unset_env;
  absl::StatusOr<pid_t> pid = Spawn(argv, io);
  absl::StatusOr<ExitInfo> info = pid.ok() ? Wait(*pid) : absl::StatusOr<ExitInfo>(pid.status());
  if (info.ok() && info->exit_code.has_value()) {
    result.exit_code = *info->exit_code;
  }
  result.out = ReadFile(out_path).value_or("");
  result.err = ReadFile(err_path).value_or("");
  if (!info.ok()) {
    absl::StrAppend(&result.err, info.status().ToString(), "\n");
  }
  return result;
}

absl::Status CheckHealth(const std::string& address,
                         std::shared_ptr<grpc::ChannelCredentials> credentials,
                         const std::string& token, absl::Duration timeout) {
  if (credentials == nullptr) {
    credentials = grpc::InsecureChannelCredentials();
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(address, credentials);
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  // HealthCheckRequest{service: ""} encodes to zero bytes.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("health check: code ", status.error_code(), ": ", status.error_message()));
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::UnavailableError("health check: unreadable response");
  }
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  // HealthCheckResponse{status: SERVING (1)} encodes to field 1, varint 1.
  if (bytes != std::string("\x08\x01", 2)) {
    return absl::UnavailableError("health check: not SERVING");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ReservedProcess>> ReservedProcess::Start(const std::string& binary,
                                                                        ReservedOptions options) {
  const int n = g_launch_counter.fetch_add(1);
  const std::string port_file = absl::StrCat(options.work_dir, "/port.", ::getpid(), ".", n);
  const std::string log_path = absl::StrCat(options.work_dir, "/reserved.", n, ".log");
  std::error_code ignored;
  std::filesystem::remove(port_file, ignored);

  std::vector<std::string> argv = {binary, "serve", "--listen=127.0.0.1:0",
                                   absl::StrCat("--port-file=", port_file)};
  if (options.metrics_off) {
    argv.push_back("--metrics-listen=off");
  }
  argv.insert(argv.end(), options.serve_args.begin(), options.serve_args.end());
  if (absl::Status s = WriteFile(log_path, absl::StrCat("# ", absl::StrJoin(argv, " "), "\n"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, LogTo(log_path));
  if (!pid.ok()) {
    return pid.status();
  }
  std::unique_ptr<ReservedProcess> process = absl::WrapUnique(new ReservedProcess(*pid, log_path));
  if (absl::Status s = process->WaitUntilServing(options, port_file); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\ncommand: ", absl::StrJoin(argv, " "),
                                               "\nlog:\n", process->StderrTail()));
  }
  return process;
}

absl::Status ReservedProcess::WaitUntilServing(const ReservedOptions& options,
                                               const std::string& port_file) {
  const absl::Time deadline = absl::Now() + options.start_timeout;
  absl::Status last = absl::UnavailableError("no port file yet");
  while (absl::Now() < deadline) {
    if (!Alive()) {
      return absl::UnavailableError(absl::StrCat("reserved ended early: ", exit_.ToString()));
    }
    if (port_ == 0) {
      absl::StatusOr<std::string> contents = ReadFile(port_file);
      // The contract: decimal + newline, written once serving. Wait for the newline so a
      // half-written file is never parsed.
      if (contents.ok() && !contents->empty() && contents->back() == '\n') {
        int port = 0;
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*contents), &port) || port <= 0 ||
            port > 65535) {
          return absl::InternalError(absl::StrCat("bad port file contents: '", *contents, "'"));
        }
        port_ = port;
      }
    }
    if (port_ != 0) {
      last = CheckHealth(address(), options.health_credentials, options.health_token,
                         std::min(kHealthAttemptTimeout, deadline - absl::Now()));
      if (last.ok()) {
        return absl::OkStatus();
      }
    }
    absl::SleepFor(kPollInterval);
  }
  return absl::UnavailableError(absl::StrCat("reserved not serving within ",
                                             absl::FormatDuration(options.start_timeout), ": ",
                                             last.message()));
}

ReservedProcess::~ReservedProcess() {
  if (Alive()) {
    ::kill(pid_, SIGKILL);
    int wait_status = 0;
    while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::string ReservedProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string ReservedProcess::StderrTail(size_t max_bytes) const {
  return Tail(stderr_path_, max_bytes);
}

bool ReservedProcess::Alive() {
  if (reaped_) {
    return false;
  }
  if (std::optional<ExitInfo> info = TryReap(pid_); info.has_value()) {
    reaped_ = true;
    exit_ = *info;
    return false;
  }
  return true;
}

absl::StatusOr<ExitInfo> ReservedProcess::Stop(int signal, absl::Duration timeout) {
  if (!Alive()) {
    return exit_;
  }
  if (::kill(pid_, signal) != 0) {
    return ErrnoStatus("kill");
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!Alive()) {
      return exit_;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  int wait_status = 0;
  while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_ = Decode(wait_status);
  return absl::DeadlineExceededError(absl::StrCat("reserved did not exit within ",
                                                  absl::FormatDuration(timeout), " of signal ",
                                                  signal, "; SIGKILLed\n", StderrTail()));
}

}  // namespace reserve::testing
