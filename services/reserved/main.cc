// `reserved`: hosts the services (serve) and runs the ledger admin commands (verify, backup,
// restore, journal). Wiring only: parse flags, build objects, hand over. See README.md.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "absl/synchronization/mutex.h"
#include "services/common/async_unary.h"
#include "services/common/auth.h"
#include "services/common/credentials.h"
#include "services/common/identity_service.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/unparsable_request.h"
#include "services/reserved/service_table.h"
#include "storage/errors.h"
#include "storage/remote/remote_ledger.h"
#include "storage/rocks_ledger.h"

namespace reserve {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// How long in-flight RPCs may run after SIGTERM before they are cancelled.
constexpr std::chrono::seconds kShutdownGrace{10};
// Handler threads of the synchronous gRPC server. A handler blocks in Commit until its group is
// durable, so under load many are busy at once; gRPC's default (at most 2 idle pollers per
// completion queue) makes every finished handler thread exit and every new call create one,
// and that thread churn cost more CPU than the inventory logic. Idle threads are cheap.
constexpr int kMinPollers = 2;
constexpr int kMaxPollers = 256;
// Threads for the methods served from completion queues: one per core of the 2-core target.
constexpr int kAsyncThreads = 2;

// ---------------------------------------------------------------------------------------
// Flags.

struct ClientFlags {
  std::string token;
  std::string token_file;
  std::string ca;
  std::string cert;
  std::string key;
};

struct ServeFlags {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./var/data";
  std::string services = "all";
  std::string ledger_address;
  std::string ledger_token_file;
  std::string ledger_ca;
  std::string ledger_cert;
  std::string ledger_key;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string tokens_file;
  std::string metrics_listen = "127.0.0.1:9464";
  std::string port_file;
  std::string log_format = "json";
};

struct AdminFlags {
  std::string data_dir;
  std::string ledger_address;
  ClientFlags client;
  std::string to;         // backup
  std::string from_dir;   // restore
  uint64_t from_seq = 1;  // journal
  size_t limit = 20;
  std::string output = "text";
};

// A usage error: one clear line, exit 2.
int Usage(const std::string& message) {
  std::cerr << "reserved: " << message << "\n";
  return kExitUsage;
}

int Fail(const absl::Status& status) {
  std::cerr << "reserved: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
            << "\n";
  return kExitFailure;
}

void AddClientFlags(CLI::App* command, ClientFlags* flags) {
  command->add_option("--token", flags->token,
                      "Bearer token for the remote ledger (default: env RESERVE_TOKEN)");
  command->add_option("--token-file", flags->token_file, "File holding the bearer token");
  command->add_option("--ca", flags->ca, "PEM roots to verify the server (TLS)");
  command->add_option("--cert", flags->cert, "PEM client certificate (mutual TLS)");
  command->add_option("--key", flags->key, "PEM private key of --cert");
}

// ---------------------------------------------------------------------------------------
// Validation helpers.

// True for 127.x.y.z, localhost and [::1] listen addresses.
bool IsLoopbackListen(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  const absl::string_view host =
      colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  if (host == "localhost" || host == "[::1]") {
    return true;
  }
  if (!absl::StartsWith(host, "127.")) {
    return false;
  }
  for (char c : host) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ParseServices(absl::string_view list) {
  std::vector<std::string> chosen;
  for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    if (name == "all") {
      for (const ServiceEntry& entry : ServiceTable()) {
        chosen.push_back(entry.name);
      }
      continue;
    }
    bool known = false;
    for (const ServiceEntry& entry : ServiceTable()) {
      known = known || entry.name == name;
    }
    if (!known) {
      std::vector<std::string> names;
      for (const ServiceEntry& entry : ServiceTable()) {
        names.push_back(entry.name);
      }
      return absl::InvalidArgumentError(absl::StrCat("--services: unknown service \"", name,
                                                     "\" (known: all,", absl::StrJoin(names, ","),
                                                     ")"));
    }
    chosen.emplace_back(name);
  }
  if (chosen.empty()) {
    return absl::InvalidArgumentError("--services: name at least one service");
  }
  return chosen;
}

// The token comes from --token, else --token-file, else env RESERVE_TOKEN (when
// `use_env`).
absl::StatusOr<ClientAuth> ClientAuthFrom(const ClientFlags& flags, bool use_env) {
  ClientAuth auth{flags.token, flags.ca, flags.cert, flags.key};
  if (auth.token.empty() && flags.token_file.empty() && use_env) {
    if (const char* env = std::getenv("RESERVE_TOKEN"); env != nullptr) {
      auth.token = env;
    }
  }
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(flags.token_file);
    if (!token.ok()) {
      return token.status();
    }
    auth.token = *std::move(token);
  }
  return auth;
}

absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> ConnectRemote(const std::string& address,
                                                                    const ClientAuth& auth) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(auth);
  if (!credentials.ok()) {
    return credentials.status();
  }
  ledger::RemoteLedgerOptions options;
  options.credentials = *std::move(credentials);
  options.bearer_token = auth.token;
  return ledger::RemoteLedger::Connect(address, std::move(options));
}

absl::Status WritePortFile(const std::string& path, int port) {
  // Write then rename, so a reader never sees a partial file.
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
    out.close();
    if (!out) {
      return absl::UnavailableError(absl::StrCat("cannot write ", temp));
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", temp, ": ", error.message()));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// serve.

int Serve(const ServeFlags& flags, bool data_dir_given, sigset_t signals) {
  log::SetFormat(flags.log_format == "text" ? log::Format::kText : log::Format::kJson);

  // Usage checks first: nothing is opened before the combination is known to be valid.
  absl::StatusOr<std::vector<std::string>> services = ParseServices(flags.services);
  if (!services.ok()) {
    return Usage(std::string(services.status().message()));
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Usage("--tls-cert and --tls-key go together");
  }
  if (!flags.tls_client_ca.empty() && flags.tls_cert.empty()) {
    return Usage("--tls-client-ca needs --tls-cert and --tls-key");
  }
  const bool tls = !flags.tls_cert.empty();
  if (!tls && !IsLoopbackListen(flags.listen)) {
    return Usage(absl::StrCat("--listen=", flags.listen,
                              " is not a loopback address; serving beyond this machine needs "
                              "--tls-cert and --tls-key"));
  }
  const bool split = !flags.ledger_address.empty();
  if (!split && (!flags.ledger_token_file.empty() || !flags.ledger_ca.empty() ||
                 !flags.ledger_cert.empty() || !flags.ledger_key.empty())) {
    return Usage(
        "--ledger-token-file/--ledger-ca/--ledger-cert/--ledger-key need "
        "--ledger-address");
  }
  if (flags.ledger_cert.empty() != flags.ledger_key.empty()) {
    return Usage("--ledger-cert and --ledger-key go together");
  }
  if (flags.log_format != "json" && flags.log_format != "text") {
    return Usage("--log-format must be json or text");
  }

  // Identity and access.
  std::unique_ptr<TokenTable> tokens;
  if (!flags.tokens_file.empty()) {
    absl::StatusOr<std::unique_ptr<TokenTable>> loaded = TokenTable::Load(flags.tokens_file);
    if (!loaded.ok()) {
      return Fail(loaded.status());
    }
    tokens = *std::move(loaded);
  }
  if (tokens == nullptr && flags.tls_client_ca.empty()) {
    log::Warn("server.no_authentication",
              {{"detail",
                "no --tokens-file and no --tls-client-ca: every call is "
                "UNAUTHENTICATED"}});
  }
  Authorizer authorizer(std::move(tokens));

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server_credentials =
      MakeServerCredentials({flags.tls_cert, flags.tls_key, flags.tls_client_ca});
  if (!server_credentials.ok()) {
    return Fail(server_credentials.status());
  }

  absl::StatusOr<std::unique_ptr<Metrics>> metrics = Metrics::Create(flags.metrics_listen);
  if (!metrics.ok()) {
    return Fail(metrics.status());
  }

  // The ledger: in-process over RocksDB, or remote in split mode.
  std::unique_ptr<ledger::RocksLedger> rocks;
  std::unique_ptr<ledger::Ledger> remote;
  ledger::Ledger* ledger = nullptr;
  if (split) {
    if (data_dir_given) {
      log::Info("server.data_dir_unused", {{"reason", "--ledger-address given"}});
    }
    ClientFlags client{"", flags.ledger_token_file, flags.ledger_ca, flags.ledger_cert,
                       flags.ledger_key};
    absl::StatusOr<ClientAuth> auth = ClientAuthFrom(client, /*use_env=*/false);
    if (!auth.ok()) {
      return Fail(auth.status());
    }
    absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> connected =
        ConnectRemote(flags.ledger_address, *auth);
    if (!connected.ok()) {
      return Fail(connected.status());
    }
    remote = *std::move(connected);
    ledger = remote.get();
  } else {
    ledger::RocksLedgerOptions options;
    options.directory = flags.data_dir;
    options.observer = (*metrics)->CommitObserver();
    absl::StatusOr<std::unique_ptr<ledger::RocksLedger>> opened =
        ledger::RocksLedger::Open(std::move(options));
    if (!opened.ok()) {
      log::Error("ledger.open_failed",
                 {{"data_dir", flags.data_dir}, {"status", opened.status().ToString()}});
      return kExitFailure;
    }
    rocks = *std::move(opened);
    ledger = rocks.get();
  }
  (*metrics)->SetJournalLengthSource([ledger]() -> uint64_t {
    absl::StatusOr<ledger::Head> head = ledger->GetHead();
    return head.ok() ? head->seq : 0;
  });

  // The server.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, *server_credentials, &port);
  builder.SetMaxReceiveMessageSize(ledger::kMaxRequestMessageBytes);
  builder.SetMaxSendMessageSize(ledger::kMaxResponseMessageBytes);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, kMinPollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kMaxPollers);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(UnparsableRequestInterceptorFactory());  // before metrics: final code
  interceptors.push_back((*metrics)->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  // Methods served asynchronously (services/common/async_unary.h) run on these threads.
  AsyncHost async_host(kAsyncThreads);
  async_host.AddQueues(builder);

  IdentityServiceImpl identity(&authorizer);
  builder.RegisterService(&identity);
  std::vector<HostedService> hosted;
  const ServiceDeps deps{ledger, &authorizer};
  for (const ServiceEntry& entry : ServiceTable()) {
    if (std::find(services->begin(), services->end(), entry.name) == services->end()) {
      continue;
    }
    absl::StatusOr<HostedService> made = entry.make(deps);
    if (!made.ok()) {
      return Fail(made.status());
    }
    builder.RegisterService(made->service.get());
    hosted.push_back(*std::move(made));
  }

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    log::Error("server.start_failed", {{"listen", flags.listen}});
    return kExitFailure;
  }
  std::vector<grpc::Service*> registered;
  for (const HostedService& service : hosted) registered.push_back(service.service.get());
  async_host.Start(registered);
  if (!flags.port_file.empty()) {
    if (absl::Status written = WritePortFile(flags.port_file, port); !written.ok()) {
      server->Shutdown();
      return Fail(written);
    }
  }
  log::Info("server.start",
            {{"listen", flags.listen},
             {"port", absl::StrCat(port)},
             {"services", absl::StrJoin(*services, ",")},
             {"mode", split ? "split" : "embedded"},
             {"tls", tls ? (flags.tls_client_ca.empty() ? "tls" : "mtls") : "plaintext"},
             {"metrics_port", absl::StrCat((*metrics)->port())}});

  // A dedicated thread waits for SIGINT/SIGTERM (blocked in every thread) and starts the
  // shutdown; this thread waits for the server to drain.
  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    log::Info("server.stopping", {{"signal", absl::StrCat(signal_number)}});
    for (HostedService& service : hosted) {
      if (service.begin_shutdown) {
        service.begin_shutdown();
      }
    }
    if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
      health->Shutdown();  // health checks answer NOT_SERVING while draining
    }
    server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  });
  server->Wait();
  signal_thread.join();
  async_host.Stop();  // after every async call is answered; the ledger is still open
  if (rocks != nullptr) {
    rocks->Shutdown();
  }
  server.reset();
  hosted.clear();
  rocks.reset();
  remote.reset();
  log::Info("server.stop", {});
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// Admin commands.

absl::Status CheckOneLedger(const AdminFlags& flags) {
  if (flags.data_dir.empty() == flags.ledger_address.empty()) {
    return absl::InvalidArgumentError("give exactly one of --data-dir and --ledger-address");
  }
  const ClientFlags& c = flags.client;
  // A token (perhaps from RESERVE_TOKEN in the environment) is ignored offline; files
  // naming a remote identity are a mistake.
  if (flags.ledger_address.empty() &&
      (!c.token_file.empty() || !c.ca.empty() || !c.cert.empty() || !c.key.empty())) {
    return absl::InvalidArgumentError("client auth flags need --ledger-address");
  }
  if (!c.token.empty() && !c.token_file.empty()) {
    return absl::InvalidArgumentError("give --token or --token-file, not both");
  }
  if (c.cert.empty() != c.key.empty()) {
    return absl::InvalidArgumentError("--cert and --key go together");
  }
  return absl::OkStatus();
}

// The ledger an admin command works on: RocksLedger in --data-dir (offline; the directory
// must already hold a ledger), or RemoteLedger to --ledger-address.
absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenAdminLedger(const AdminFlags& flags) {
  if (!flags.ledger_address.empty()) {
    absl::StatusOr<ClientAuth> auth = ClientAuthFrom(flags.client, /*use_env=*/true);
    if (!auth.ok()) {
      return auth.status();
    }
    absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> remote =
        ConnectRemote(flags.ledger_address, *auth);
    if (!remote.ok()) {
      return remote.status();
    }
    return std::unique_ptr<ledger::Ledger>(*std::move(remote));
  }
  std::error_code error;
  if (!std::filesystem::is_directory(flags.data_dir, error)) {
    return absl::NotFoundError(absl::StrCat("no ledger in ", flags.data_dir));
  }
  ledger::RocksLedgerOptions options;
  options.directory = flags.data_dir;
  absl::StatusOr<std::unique_ptr<ledger::RocksLedger>> rocks =
      ledger::RocksLedger::Open(std::move(options));
  if (!rocks.ok()) {
    return rocks.status();
  }
  return std::unique_ptr<ledger::Ledger>(*std::move(rocks));
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

std::string DateText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

nlohmann::json EntryJson(const ledger::JournalEntry& entry) {
  const ledger::Transaction& tx = entry.tx;
  nlohmann::json postings = nlohmann::json::array();
  for (const ledger::Posting& p : tx.postings) {
    postings.push_back({{"account", p.account}, {"amount", p.amount}});
  }
  nlohmann::json opens = nlohmann::json::array();
  for (const ledger::AccountSpec& a : tx.open_accounts) {
    opens.push_back({{"id", a.id}, {"unit", a.unit}, {"non_negative", a.non_negative}});
  }
  nlohmann::json writes = nlohmann::json::array();
  for (const ledger::RecordWrite& w : tx.writes) {
    // Record values are bytes: shown as base64.
    writes.push_back({{"key", w.key},
                      {"expected_version", w.expected_version},
                      {"value_base64", absl::Base64Escape(w.value)},
                      {"erase", w.erase}});
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const ledger::RecordCheck& c : tx.checks) {
    checks.push_back({{"key", c.key}, {"expected_version", c.expected_version}});
  }
  return {{"seq", entry.seq},
          {"prev_hash", Hex(entry.prev_hash)},
          {"hash", Hex(entry.hash)},
          {"committed_at_ms", entry.committed_at_ms},
          {"request_id", tx.request_id},
          {"kind", tx.kind},
          {"principal", tx.principal},
          {"business_date", DateText(tx.business_date)},
          {"open_accounts", opens},
          {"postings", postings},
          {"writes", writes},
          {"checks", checks},
          {"memo", tx.memo}};
}

void PrintEntryText(const ledger::JournalEntry& entry) {
  const ledger::Transaction& tx = entry.tx;
  std::cout << "#" << entry.seq << " " << DateText(tx.business_date) << " " << tx.kind << " by "
            << tx.principal << " request " << tx.request_id << " hash "
            << Hex(entry.hash).substr(0, 16) << "\n";
  for (const ledger::AccountSpec& a : tx.open_accounts) {
    std::cout << "  open  " << a.id << " " << a.unit << (a.non_negative ? " non-negative" : "")
              << "\n";
  }
  for (const ledger::Posting& p : tx.postings) {
    std::cout << "  post  " << p.account << " " << p.amount << "\n";
  }
  for (const ledger::RecordWrite& w : tx.writes) {
    std::cout << "  " << (w.erase ? "erase " : "write ") << w.key << " (was v" << w.expected_version
              << ", " << w.value.size() << " bytes)\n";
  }
  for (const ledger::RecordCheck& c : tx.checks) {
    std::cout << "  check " << c.key << " v" << c.expected_version << "\n";
  }
  if (!tx.memo.empty()) {
    std::cout << "  memo  " << tx.memo << "\n";
  }
}

int Verify(const AdminFlags& flags) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger = OpenAdminLedger(flags);
  if (!ledger.ok()) {
    return Fail(ledger.status());
  }
  absl::StatusOr<ledger::VerifyReport> report = (*ledger)->Verify();
  if (!report.ok()) {
    return Fail(report.status());
  }
  if (report->ok) {
    std::cout << "ok: " << report->entries_checked << " journal entries, "
              << report->accounts_checked << " accounts\n";
    return kExitOk;
  }
  std::cout << "FAILED after " << report->entries_checked << " entries: " << report->problem
            << "\n";
  if (report->first_bad_seq != 0) {
    std::cout << "first bad entry: " << report->first_bad_seq << "\n";
    absl::StatusOr<std::vector<ledger::JournalEntry>> bad =
        (*ledger)->ReadJournal(report->first_bad_seq, 1);
    if (bad.ok() && !bad->empty()) {
      PrintEntryText(bad->front());
    } else if (!bad.ok()) {
      std::cout << "(entry unreadable: " << bad.status() << ")\n";
    }
  }
  return kExitFailure;
}

int Backup(const AdminFlags& flags) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger = OpenAdminLedger(flags);
  if (!ledger.ok()) {
    return Fail(ledger.status());
  }
  absl::StatusOr<ledger::Head> head = (*ledger)->Backup(flags.to);
  if (!head.ok()) {
    return Fail(head.status());
  }
  std::cout << "backup in " << flags.to << " at seq " << head->seq << " hash " << Hex(head->hash)
            << "\n";
  return kExitOk;
}

int Restore(const AdminFlags& flags) {
  absl::StatusOr<ledger::Head> head = ledger::RocksLedger::Restore(flags.from_dir, flags.data_dir);
  if (!head.ok()) {
    return Fail(head.status());
  }
  std::cout << "restored " << flags.data_dir << " to seq " << head->seq << " hash "
            << Hex(head->hash) << "\n";
  return kExitOk;
}

int Journal(const AdminFlags& flags) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger = OpenAdminLedger(flags);
  if (!ledger.ok()) {
    return Fail(ledger.status());
  }
  absl::StatusOr<std::vector<ledger::JournalEntry>> entries =
      (*ledger)->ReadJournal(flags.from_seq, flags.limit);
  if (!entries.ok()) {
    return Fail(entries.status());
  }
  if (flags.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const ledger::JournalEntry& entry : *entries) {
      out.push_back(EntryJson(entry));
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (const ledger::JournalEntry& entry : *entries) {
      PrintEntryText(entry);
    }
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------

int Main(int argc, char** argv) {
  // Block the stop signals before any thread exists, so every thread inherits the mask and
  // only `serve`'s signal thread receives them (via sigwait).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  CLI::App app{"reserved: strategic metals reserve server and ledger admin tool"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");

  ServeFlags serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Host the services on one port");
  serve_cmd->add_option("--listen", serve.listen, "host:port to listen on (port 0: any free)")
      ->capture_default_str();
  CLI::Option* data_dir_opt =
      serve_cmd->add_option("--data-dir", serve.data_dir, "Ledger directory (embedded mode)")
          ->capture_default_str();
  serve_cmd
      ->add_option("--services", serve.services,
                   "Comma list of services to host: ledger,inventory,... or all")
      ->capture_default_str();
  serve_cmd->add_option("--ledger-address", serve.ledger_address,
                        "Split mode: use the LedgerService at HOST:PORT instead of a local store");
  serve_cmd->add_option("--ledger-token-file", serve.ledger_token_file,
                        "Split mode: file with the bearer token for the remote ledger");
  serve_cmd->add_option("--ledger-ca", serve.ledger_ca,
                        "Split mode: PEM roots to verify the remote ledger (TLS)");
  serve_cmd->add_option("--ledger-cert", serve.ledger_cert,
                        "Split mode: PEM client certificate for the remote ledger (mTLS)");
  serve_cmd->add_option("--ledger-key", serve.ledger_key, "Split mode: PEM key of --ledger-cert");
  serve_cmd->add_option("--tls-cert", serve.tls_cert, "PEM server certificate chain (TLS)");
  serve_cmd->add_option("--tls-key", serve.tls_key, "PEM server private key (TLS)");
  serve_cmd->add_option("--tls-client-ca", serve.tls_client_ca,
                        "PEM CA for client certificates: require and verify them (mutual TLS)");
  serve_cmd->add_option("--tokens-file", serve.tokens_file,
                        "Bearer tokens: lines `<token> <principal-name> <role>[,<role>...]`");
  serve_cmd
      ->add_option("--metrics-listen", serve.metrics_listen,
                   "host:port for Prometheus /metrics, or off")
      ->capture_default_str();
  serve_cmd->add_option("--port-file", serve.port_file,
                        "Write the bound gRPC port (decimal + newline) here once serving");
  serve_cmd->add_option("--log-format", serve.log_format, "json or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();

  AdminFlags admin;
  auto add_ledger_choice = [&admin](CLI::App* command) {
    command->add_option("--data-dir", admin.data_dir, "Ledger directory (offline)");
    command->add_option("--ledger-address", admin.ledger_address,
                        "LedgerService HOST:PORT (online)");
    AddClientFlags(command, &admin.client);
  };
  CLI::App* verify_cmd =
      app.add_subcommand("verify", "Re-walk the journal: hash chain, numbering, balances");
  add_ledger_choice(verify_cmd);
  CLI::App* backup_cmd = app.add_subcommand("backup", "Write a consistent backup");
  add_ledger_choice(backup_cmd);
  backup_cmd->add_option("--to", admin.to, "Backup directory (must not exist)")->required();
  CLI::App* restore_cmd =
      app.add_subcommand("restore", "Replace a data directory with a backup (offline)");
  restore_cmd->add_option("--from", admin.from_dir, "Backup directory")->required();
  restore_cmd->add_option("--data-dir", admin.data_dir, "Ledger directory (must not exist)")
      ->required();
  CLI::App* journal_cmd = app.add_subcommand("journal", "Print journal entries");
  add_ledger_choice(journal_cmd);
  journal_cmd->add_option("--from", admin.from_seq, "First sequence number (>= 1)")
      ->capture_default_str();
  journal_cmd->add_option("--limit", admin.limit, "Entries to print (1..1000)")
      ->capture_default_str();
  journal_cmd->add_option("--output", admin.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (serve_cmd->parsed()) {
    return Serve(serve, data_dir_opt->count() > 0, signals);
  }
  if (restore_cmd->parsed()) {
    return Restore(admin);
  }
  if (absl::Status valid = CheckOneLedger(admin); !valid.ok()) {
    return Usage(std::string(valid.message()));
  }
  if (verify_cmd->parsed()) {
    return Verify(admin);
  }
  if (backup_cmd->parsed()) {
    return Backup(admin);
  }
  if (journal_cmd->parsed()) {
    return Journal(admin);
  }
  return Usage("no command");
}

}  // namespace
}  // namespace reserve

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock detection on: it records
  // every lock acquisition in a global graph, which cost ~3% of the server's CPU under load.
  // The tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return reserve::Main(argc, argv);
}
