#include "services/ledger/ledger_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"
#include "storage/errors.h"
#include "storage/remote/convert.h"

namespace reserve {

namespace {

using ledger::FromProto;
using ledger::ToProto;

std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/", v1::LedgerService::service_full_name(), "/", method);
}

// Commit errors name fields relative to the transaction; on the wire they are paths in the
// request ("transaction.postings[0].amount"). RemoteLedger strips the prefix again.
absl::Status InRequest(absl::Status status) {
  std::optional<std::string> field = FieldOf(status);
  if (field.has_value() && *field != "transaction" && !absl::StartsWith(*field, "transaction.")) {
    status.SetPayload(kFieldPayload, absl::Cord(absl::StrCat("transaction.", *field)));
  }
  return status;
}

ledger::ReadOptions At(uint64_t at_seq) { return ledger::ReadOptions{at_seq}; }

}  // namespace

absl::Status LedgerServiceImpl::Authorize(grpc::ServerContext* context,
                                          absl::string_view method) const {
  return authorizer_->Authorize(context, FullMethod(method)).status();
}

grpc::Status LedgerServiceImpl::Commit(grpc::ServerContext* context,
                                       const v1::CommitRequest* request, v1::Receipt* response) {
  if (absl::Status s = Authorize(context, "Commit"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (!request->has_transaction()) {
    return ToGrpcStatus(InvalidField("transaction", "required"));
  }
  absl::StatusOr<ledger::Transaction> tx = FromProto(request->transaction(), "transaction");
  if (!tx.ok()) {
    return ToGrpcStatus(tx.status());
  }
  // Only services commit (access table), and they name the end user they act for.
  if (tx->principal.empty()) {
    return ToGrpcStatus(InvalidField("transaction.principal", "must name the acting principal"));
  }
  absl::StatusOr<ledger::Receipt> receipt = ledger_->Commit(*tx);
  if (!receipt.ok()) {
    return ToGrpcStatus(InRequest(receipt.status()));
  }
  ToProto(*receipt, response);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetHead(grpc::ServerContext* context,
                                        const v1::GetHeadRequest* request, v1::Head* response) {
  if (absl::Status s = Authorize(context, "GetHead"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ledger::Head> head = ledger_->GetHead();
  if (!head.ok()) {
    return ToGrpcStatus(head.status());
  }
  ToProto(*head, response);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetRecords(grpc::ServerContext* context,
                                           const v1::GetRecordsRequest* request,
                                           v1::GetRecordsResponse* response) {
  if (absl::Status s = Authorize(context, "GetRecords"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  absl::StatusOr<ledger::RecordSet> set = ledger_->GetRecords(keys, At(request->at_seq()));
  if (!set.ok()) {
    return ToGrpcStatus(set.status());
  }
  for (const ledger::Record& record : set->records) {
    ToProto(record, response->add_records());
  }
  response->set_as_of_seq(set->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ScanRecords(grpc::ServerContext* context,
                                            const v1::ScanRecordsRequest* request,
                                            v1::ScanRecordsResponse* response) {
  if (absl::Status s = Authorize(context, "ScanRecords"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ledger::Page> page =
      ledger::PageFromProto(request->page_size(), request->page_token());
  if (!page.ok()) {
    return ToGrpcStatus(page.status());
  }
  absl::StatusOr<ledger::RecordPage> result =
      ledger_->ScanRecords(request->prefix(), *page, At(request->at_seq()));
  if (!result.ok()) {
    return ToGrpcStatus(result.status());
  }
  for (const ledger::Record& record : result->records) {
    ToProto(record, response->add_records());
  }
  response->set_next_page_token(result->next_page_token);
  response->set_as_of_seq(result->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::RecordHistory(grpc::ServerContext* context,
                                              const v1::RecordHistoryRequest* request,
                                              v1::RecordHistoryResponse* response) {
  if (absl::Status s = Authorize(context, "RecordHistory"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<std::vector<ledger::Seq>> versions =
      ledger_->RecordHistory(request->key(), At(request->at_seq()));
  if (!versions.ok()) {
    return ToGrpcStatus(versions.status());
  }
  for (ledger::Seq version : *versions) {
    response->add_versions(version);
  }
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetBalances(grpc::ServerContext* context,
                                            const v1::GetBalancesRequest* request,
                                            v1::GetBalancesResponse* response) {
  if (absl::Status s = Authorize(context, "GetBalances"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::vector<std::string> accounts(request->accounts().begin(), request->accounts().end());
  absl::StatusOr<ledger::BalanceSet> set;
  if (request->has_as_of_date()) {
    absl::StatusOr<absl::CivilDay> date = FromProto(request->as_of_date(), "as_of_date");
    if (!date.ok()) {
      return ToGrpcStatus(date.status());
    }
    set = ledger_->GetBalancesAsOfDate(accounts, *date, At(request->at_seq()));
  } else {
    set = ledger_->GetBalances(accounts, At(request->at_seq()));
  }
  if (!set.ok()) {
    return ToGrpcStatus(set.status());
  }
  for (const ledger::Balance& balance : set->balances) {
    ToProto(balance, response->add_balances());
  }
  response->set_as_of_seq(set->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ScanBalances(grpc::ServerContext* context,
                                             const v1::ScanBalancesRequest* request,
                                             v1::ScanBalancesResponse* response) {
  if (absl::Status s = Authorize(context, "ScanBalances"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ledger::Page> page =
      ledger::PageFromProto(request->page_size(), request->page_token());
  if (!page.ok()) {
    return ToGrpcStatus(page.status());
  }
  absl::StatusOr<ledger::BalancePage> result =
      ledger_->ScanBalances(request->prefix(), *page, At(request->at_seq()));
  if (!result.ok()) {
    return ToGrpcStatus(result.status());
  }
  for (const ledger::Balance& balance : result->balances) {
    ToProto(balance, response->add_balances());
  }
  response->set_next_page_token(result->next_page_token);
  response->set_as_of_seq(result->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::AccountHistory(grpc::ServerContext* context,
                                               const v1::AccountHistoryRequest* request,
                                               v1::AccountHistoryResponse* response) {
  if (absl::Status s = Authorize(context, "AccountHistory"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ledger::Page> page =
      ledger::PageFromProto(request->page_size(), request->page_token());
  if (!page.ok()) {
    return ToGrpcStatus(page.status());
  }
  absl::StatusOr<ledger::MovementPage> result =
      ledger_->AccountHistory(request->account(), *page, At(request->at_seq()));
  if (!result.ok()) {
    return ToGrpcStatus(result.status());
  }
  for (const ledger::AccountMovement& movement : result->movements) {
    ToProto(movement, response->add_movements());
  }
  response->set_next_page_token(result->next_page_token);
  response->set_as_of_seq(result->as_of_seq);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ReadJournal(grpc::ServerContext* context,
                                            const v1::ReadJournalRequest* request,
                                            v1::ReadJournalResponse* response) {
  if (absl::Status s = Authorize(context, "ReadJournal"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->max_entries() < 0) {
    return ToGrpcStatus(InvalidField("max_entries", "must not be negative"));
  }
  absl::StatusOr<std::vector<ledger::JournalEntry>> entries =
      ledger_->ReadJournal(request->from_seq(), static_cast<size_t>(request->max_entries()));
  if (!entries.ok()) {
    return ToGrpcStatus(entries.status());
  }
  for (const ledger::JournalEntry& entry : *entries) {
    ToProto(entry, response->add_entries());
  }
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                                      grpc::ServerWriter<v1::JournalEntry>* writer) {
  if (absl::Status s = Authorize(context, "Watch"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  bool client_gone = false;
  v1::JournalEntry wire;
  absl::Status status = ledger_->Watch(
      request->from_seq(),
      [&](const ledger::JournalEntry& entry) {
        wire.Clear();
        ToProto(entry, &wire);
        if (!writer->Write(wire)) {
          client_gone = true;
          return false;
        }
        return true;
      },
      [&] { return context->IsCancelled() || shutting_down_.load(); });
  if (!status.ok()) {
    return ToGrpcStatus(status);
  }
  if (client_gone || context->IsCancelled()) {
    return ToGrpcStatus(absl::CancelledError("watch cancelled"));
  }
  if (shutting_down_.load()) {
    return ToGrpcStatus(
        absl::UnavailableError("server shutting down; resume the watch from the next seq"));
  }
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Verify(grpc::ServerContext* context,
                                       const v1::VerifyRequest* request,
                                       v1::VerifyReport* response) {
  if (absl::Status s = Authorize(context, "Verify"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ledger::VerifyReport> report = ledger_->Verify();
  if (!report.ok()) {
    return ToGrpcStatus(report.status());
  }
  ToProto(*report, response);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Backup(grpc::ServerContext* context,
                                       const v1::BackupRequest* request, v1::Head* response) {
  if (absl::Status s = Authorize(context, "Backup"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->directory().empty()) {
    return ToGrpcStatus(InvalidField("directory", "must not be empty"));
  }
  absl::StatusOr<ledger::Head> head = ledger_->Backup(request->directory());
  if (!head.ok()) {
    return ToGrpcStatus(head.status());
  }
  ToProto(*head, response);
  return grpc::Status::OK;
}

}  // namespace reserve
