#include "tests/bench/bench_kit.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace reserve::bench {
namespace {
constexpr auto kCallDeadline = std::chrono::seconds(60);
}  // namespace

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // its own TCP connection
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  channel->WaitForConnected(std::chrono::system_clock::now() + kCallDeadline);
  return channel;
}

void Prepare(const std::string& token, grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);  // gRPC wants system_clock
  if (!token.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

Percentiles Summarise(std::vector<int64_t>& ns) {
  Percentiles p;
  p.count = ns.size();
  if (ns.empty()) return p;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(ns.size()));
    return static_cast<double>(ns[std::min(i, ns.size() - 1)]) / 1e6;
  };
  p.p50_ms = at(0.50);
  p.p99_ms = at(0.99);
  p.p999_ms = at(0.999);
  p.max_ms = static_cast<double>(ns.back()) / 1e6;
  long double sum = 0;
  for (int64_t v : ns) sum += v;
  p.mean_ms = static_cast<double>(sum / ns.size() / 1e6L);
  return p;
}

}  // namespace reserve::bench
