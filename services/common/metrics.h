// Prometheus metrics for a `reserved` process, served on --metrics-listen at /metrics.
//
//   reserve_rpc_total{method,code}            RPCs finished, by full method and status code
//   reserve_rpc_latency_seconds{method}       RPC latency (histogram)
//   reserve_ledger_commit_group_size          transactions per group write (histogram)
//   reserve_ledger_group_write_seconds        group write + fsync latency (histogram)
//   reserve_ledger_journal_length             head sequence number (read at scrape time)
//
// Per-RPC accounting happens in one place: a server interceptor (InterceptorFactory), not
// in the handlers. Method labels are bounded: methods outside reserve.v1 and grpc.* are
// counted as "other".
#ifndef RESERVE_SERVICES_COMMON_METRICS_H_
#define RESERVE_SERVICES_COMMON_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/rocks_ledger.h"

namespace reserve {

class Metrics {
 public:
  // `listen` is "host:port" for the HTTP exposer, or "off" for none (metrics still count).
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Metrics>> Create(absl::string_view listen);

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  ~Metrics();

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators. The factory refers to
  // this object, which must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // For RocksLedgerOptions::observer. Refers to this object.
  ledger::CommitObserver CommitObserver();

  // Sets how the journal length is read at scrape time (e.g. from Ledger::GetHead). Call
  // before serving; the source must stay valid until this object is destroyed.
  void SetJournalLengthSource(std::function<uint64_t()> source);

  void RecordRpc(absl::string_view full_method, int code, double seconds);

  // The bound HTTP port (0 when off).
  int port() const;
  // The registry's current text exposition (for tests).
  std::string Scrape() const;

 private:
  class JournalCollectable;
  Metrics();

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* rpc_total_;
  prometheus::Family<prometheus::Histogram>* rpc_latency_;
  prometheus::Histogram* group_size_;
  prometheus::Histogram* group_write_seconds_;
  std::shared_ptr<JournalCollectable> journal_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_METRICS_H_
