// What the gRPC load generators (reserve-bench, financing-bench) share: their own connection
// per channel, a prepared call, and latency percentiles.
#ifndef RESERVE_TESTS_BENCH_BENCH_KIT_H_
#define RESERVE_TESTS_BENCH_BENCH_KIT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace reserve::bench {

// A channel with its own TCP connection (not shared with other channels to the same
// address), connected before it is returned (or after a 60 s deadline).
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address);

// A 60 s deadline and, when `token` is non-empty, its bearer token.
void Prepare(const std::string& token, grpc::ClientContext& ctx);

// Latency figures of a set of calls, in milliseconds.
struct Percentiles {
  size_t count = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
};

// Sorts `ns` (latencies in nanoseconds) and summarises it; all zero when it is empty.
Percentiles Summarise(std::vector<int64_t>& ns);

}  // namespace reserve::bench

#endif  // RESERVE_TESTS_BENCH_BENCH_KIT_H_
