// IdentityService glue: tells an authenticated caller who the server thinks they are.
#ifndef RESERVE_SERVICES_COMMON_IDENTITY_SERVICE_H_
#define RESERVE_SERVICES_COMMON_IDENTITY_SERVICE_H_

#include "reserve/v1/identity.grpc.pb.h"
#include "services/common/auth.h"

namespace reserve {

class IdentityServiceImpl final : public v1::IdentityService::Service {
 public:
  // `authorizer` must outlive this service.
  explicit IdentityServiceImpl(const Authorizer* authorizer) : authorizer_(authorizer) {}

  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::Principal* response) override;

 private:
  const Authorizer* const authorizer_;
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_COMMON_IDENTITY_SERVICE_H_
