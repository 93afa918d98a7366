#include "services/common/metrics.h"

#include <chrono>
#include <exception>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/text_serializer.h"
#include "services/common/access_table.h"

namespace reserve {

namespace {

// Latency buckets from 100 us to ~30 s: commits wait for an fsync; Verify can be long.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return buckets;
}

std::string MethodLabel(absl::string_view method) {
  if (AllowedRoles(method) != nullptr || absl::StartsWith(method, "/grpc.")) {
    return std::string(method);
  }
  return "other";
}

// One per RPC; created and deleted by gRPC.
class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(Metrics* metrics, const char* method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_->RecordRpc(method_, static_cast<int>(methods->GetSendStatus().error_code()),
                          seconds);
    }
    methods->Proceed();
  }

 private:
  Metrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
};

class RpcInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // gRPC's interface takes ownership of a raw pointer.
    return new RpcInterceptor(metrics_, info->method() == nullptr ? "" : info->method());
  }

 private:
  Metrics* const metrics_;
};

const char* CodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) {
    return "UNKNOWN";
  }
  return kNames[code];
}

}  // namespace

// A gauge whose value is read from a callback at scrape time.
class Metrics::JournalCollectable final : public prometheus::Collectable {
 public:
  void SetSource(std::function<uint64_t()> source) {
    absl::MutexLock lock(&mu_);
    source_ = std::move(source);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    if (!source_) {
      return {};
    }
    prometheus::MetricFamily family;
    family.name = "reserve_ledger_journal_length";
    family.help = "Journal length: the head sequence number";
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = static_cast<double>(source_());
    family.metric.push_back(metric);
    return {family};
  }

 private:
  mutable absl::Mutex mu_;
  std::function<uint64_t()> source_ ABSL_GUARDED_BY(mu_);
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_total_(&prometheus::BuildCounter()
                      .Name("reserve_rpc_total")
                      .Help("RPCs finished, by full method and status code")
                      .Register(*registry_)),
      rpc_latency_(&prometheus::BuildHistogram()
                        .Name("reserve_rpc_latency_seconds")
                        .Help("RPC latency by full method")
                        .Register(*registry_)),
      journal_(std::make_shared<JournalCollectable>()) {
  group_size_ = &prometheus::BuildHistogram()
                     .Name("reserve_ledger_commit_group_size")
                     .Help("Transactions per group write")
                     .Register(*registry_)
                     .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128,
                                                                      256, 512, 1024});
  group_write_seconds_ = &prometheus::BuildHistogram()
                              .Name("reserve_ledger_group_write_seconds")
                              .Help("Latency of one group write including the WAL sync")
                              .Register(*registry_)
                              .Add({}, LatencyBuckets());
}

Metrics::~Metrics() = default;

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Create(absl::string_view listen) {
  std::unique_ptr<Metrics> metrics(new Metrics());
  if (listen == "off") {
    return metrics;
  }
  try {
    metrics->exposer_ = std::make_unique<prometheus::Exposer>(std::string(listen));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  metrics->exposer_->RegisterCollectable(metrics->registry_);
  metrics->exposer_->RegisterCollectable(metrics->journal_);
  return metrics;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::InterceptorFactory() {
  return std::make_unique<RpcInterceptorFactory>(this);
}

ledger::CommitObserver Metrics::CommitObserver() {
  ledger::CommitObserver observer;
  observer.on_group_written = [this](size_t group_size, int64_t write_micros) {
    group_size_->Observe(static_cast<double>(group_size));
    group_write_seconds_->Observe(static_cast<double>(write_micros) / 1e6);
  };
  return observer;
}

void Metrics::SetJournalLengthSource(std::function<uint64_t()> source) {
  journal_->SetSource(std::move(source));
}

void Metrics::RecordRpc(absl::string_view full_method, int code, double seconds) {
  const std::string method = MethodLabel(full_method);
  rpc_total_->Add({{"method", method}, {"code", CodeName(code)}}).Increment();
  rpc_latency_->Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

int Metrics::port() const {
  if (exposer_ == nullptr) {
    return 0;
  }
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

std::string Metrics::Scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : journal_->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace reserve
