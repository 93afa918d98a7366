#include "tests/server/server_env.h"

#include <iostream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "storage/remote/remote_ledger.h"
#include "tests/server/process.h"

namespace reserve::testing {
namespace {

// Per-call deadline for direct stub calls: generous, the machine may be slow.
constexpr absl::Duration kCallDeadline = absl::Seconds(60);

}  // namespace

absl::Status WriteTokensFile(const std::string& path) {
  return WriteFile(path, absl::StrCat("# test token table\n",             //
                                      kServiceToken, " svc service\n",    //
                                      kAdminToken, " root admin\n",       //
                                      "\n",                               //
                                      kFinanceToken, " mof finance\n",    //
                                      kAuditorToken, " audit auditor\n",  //
                                      kAllLedgerToken, " hop service,admin,auditor\n"));
}

uint64_t TestSeed() {
  uint64_t seed = 0;
  const char* env = std::getenv("RESERVE_SEED");
  if (env == nullptr || !absl::SimpleAtoi(env, &seed)) {
    seed = std::random_device{}();
    seed = (seed << 32) ^ std::random_device{}();
  }
  std::cout << "seed " << seed << " (replay with RESERVE_SEED=" << seed << ")" << std::endl;
  return seed;
}

absl::StatusOr<std::unique_ptr<ledger::Ledger>> ConnectLedger(const std::string& address,
                                                              absl::string_view token) {
  ledger::RemoteLedgerOptions options;
  options.bearer_token = std::string(token);
  options.own_channel = true;
  absl::StatusOr<std::unique_ptr<ledger::RemoteLedger>> remote =
      ledger::RemoteLedger::Connect(address, std::move(options));
  if (!remote.ok()) {
    return remote.status();
  }
  return std::unique_ptr<ledger::Ledger>(*std::move(remote));
}

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address,
                                          std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(
      address, credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> ContextWithToken(absl::string_view token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  if (!token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  return context;
}

}  // namespace reserve::testing
