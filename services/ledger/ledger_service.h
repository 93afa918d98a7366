// LedgerService glue: authorise, convert the request, call the Ledger, convert back.
// Decides nothing itself; the ledger (storage/ledger.h) holds every rule.
#ifndef RESERVE_SERVICES_LEDGER_LEDGER_SERVICE_H_
#define RESERVE_SERVICES_LEDGER_LEDGER_SERVICE_H_

#include <atomic>

#include "reserve/v1/ledger.grpc.pb.h"
#include "services/common/auth.h"
#include "storage/ledger.h"

namespace reserve {

class LedgerServiceImpl final : public v1::LedgerService::Service {
 public:
  // `ledger` and `authorizer` must outlive this service.
  LedgerServiceImpl(ledger::Ledger* ledger, const Authorizer* authorizer)
      : ledger_(ledger), authorizer_(authorizer) {}

  // Ends open Watch streams with UNAVAILABLE (clients resume elsewhere or later), so a
  // server shutdown does not wait for them. Call before grpc::Server::Shutdown.
  void BeginShutdown() { shutting_down_.store(true); }

  grpc::Status Commit(grpc::ServerContext* context, const v1::CommitRequest* request,
                      v1::Receipt* response) override;
  grpc::Status GetHead(grpc::ServerContext* context, const v1::GetHeadRequest* request,
                       v1::Head* response) override;
  grpc::Status GetRecords(grpc::ServerContext* context, const v1::GetRecordsRequest* request,
                          v1::GetRecordsResponse* response) override;
  grpc::Status ScanRecords(grpc::ServerContext* context, const v1::ScanRecordsRequest* request,
                           v1::ScanRecordsResponse* response) override;
  grpc::Status RecordHistory(grpc::ServerContext* context, const v1::RecordHistoryRequest* request,
                             v1::RecordHistoryResponse* response) override;
  grpc::Status GetBalances(grpc::ServerContext* context, const v1::GetBalancesRequest* request,
                           v1::GetBalancesResponse* response) override;
  grpc::Status ScanBalances(grpc::ServerContext* context, const v1::ScanBalancesRequest* request,
                            v1::ScanBalancesResponse* response) override;
  grpc::Status AccountHistory(grpc::ServerContext* context,
                              const v1::AccountHistoryRequest* request,
                              v1::AccountHistoryResponse* response) override;
  grpc::Status ReadJournal(grpc::ServerContext* context, const v1::ReadJournalRequest* request,
                           v1::ReadJournalResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::JournalEntry>* writer) override;
  grpc::Status Verify(grpc::ServerContext* context, const v1::VerifyRequest* request,
                      v1::VerifyReport* response) override;
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::Head* response) override;

 private:
  absl::Status Authorize(grpc::ServerContext* context, absl::string_view method) const;

  ledger::Ledger* const ledger_;
  const Authorizer* const authorizer_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace reserve

#endif  // RESERVE_SERVICES_LEDGER_LEDGER_SERVICE_H_
