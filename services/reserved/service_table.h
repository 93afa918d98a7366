// The services `reserved serve --services=...` can host. Adding a service is one entry in
// service_table.cc.
#ifndef RESERVE_SERVICES_RESERVED_SERVICE_TABLE_H_
#define RESERVE_SERVICES_RESERVED_SERVICE_TABLE_H_

#include <grpcpp/impl/service_type.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/auth.h"
#include "storage/ledger.h"

namespace reserve {

// What a service may use. Everything outlives the services.
struct ServiceDeps {
  ledger::Ledger* ledger = nullptr;
  const Authorizer* authorizer = nullptr;
};

struct HostedService {
  std::unique_ptr<grpc::Service> service;
  // Called before the server shuts down (ends long-lived streams); may be empty.
  std::function<void()> begin_shutdown;
  // Objects the service uses and does not own (e.g. the decision service's order hook that
  // inventory calls); kept alive as long as the service. May be empty.
  std::shared_ptr<void> owned{};
};

struct ServiceEntry {
  std::string name;  // as given to --services
  std::function<absl::StatusOr<HostedService>(const ServiceDeps&)> make;
};

// Every service this binary can host, in a fixed order. "all" means all of them.
const std::vector<ServiceEntry>& ServiceTable();

}  // namespace reserve

#endif  // RESERVE_SERVICES_RESERVED_SERVICE_TABLE_H_
