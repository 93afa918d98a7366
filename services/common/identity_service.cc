#include "services/common/identity_service.h"

#include "services/common/grpc_status.h"

namespace reserve {

grpc::Status IdentityServiceImpl::WhoAmI(grpc::ServerContext* context,
                                         const v1::WhoAmIRequest* request,
                                         v1::Principal* response) {
  absl::StatusOr<Principal> principal =
      authorizer_->Authorize(context, "/reserve.v1.IdentityService/WhoAmI");
  if (!principal.ok()) {
    return ToGrpcStatus(principal.status());
  }
  response->set_name(principal->name);
  for (const std::string& role : principal->roles) {
    response->add_roles(role);
  }
  return grpc::Status::OK;
}

}  // namespace reserve
