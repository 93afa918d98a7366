#include "storage/remote/remote_ledger.h"

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/credentials.h"
#include "services/common/grpc_status.h"
#include "storage/errors.h"
#include "storage/remote/convert.h"

namespace reserve::ledger {

namespace {

// The server names Commit fields as paths in the request ("transaction.postings[0].amount");
// the Ledger interface names them relative to the transaction, as RocksLedger does.
absl::Status StripTransactionPrefix(absl::Status status) {
  constexpr absl::string_view kPrefix = "transaction.";
  std::optional<std::string> field = FieldOf(status);
  if (field.has_value() && absl::StartsWith(*field, kPrefix)) {
    status.SetPayload(kFieldPayload, absl::Cord(field->substr(kPrefix.size())));
  }
  return status;
}

void* Tag(intptr_t value) { return reinterpret_cast<void*>(value); }

template <typename Request, typename Response>
using UnaryRpc = grpc::Status (v1::LedgerService::Stub::*)(grpc::ClientContext*, const Request&,
                                                           Response*);
template <typename Response, typename Proto>
using ListOf = const google::protobuf::RepeatedPtrField<Proto>& (Response::*)() const;

// ScanRecords and ScanBalances differ only in their messages and in the list a page fills:
// `items` of the page, from the response's `protos` (these conversions cannot fail).
template <typename Out, typename Item, typename Request, typename Response, typename Proto>
absl::StatusOr<Out> Scan(v1::LedgerService::Stub& stub, UnaryRpc<Request, Response> rpc,
                         std::unique_ptr<grpc::ClientContext> context,
                         ListOf<Response, Proto> protos, std::vector<Item> Out::*items,
                         absl::string_view prefix, const Page& page, const ReadOptions& options) {
  // Checked before sending, as in-process: a string that is not UTF-8 cannot be serialized.
  if (absl::Status valid = ValidateReadId("prefix", prefix, true); !valid.ok()) {
    return valid;
  }
  if (absl::Status valid = ValidatePage(page); !valid.ok()) {
    return valid;
  }
  Request request;
  request.set_prefix(std::string(prefix));
  request.set_page_size(PageSizeToProto(page.page_size));
  request.set_page_token(page.page_token);
  request.set_at_seq(options.at_seq);
  Response response;
  absl::Status status = FromGrpcStatus((stub.*rpc)(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  Out out;
  out.next_page_token = response.next_page_token();
  out.as_of_seq = response.as_of_seq();
  for (const Proto& proto : (response.*protos)()) {
    (out.*items).push_back(FromProto(proto));
  }
  return out;
}

}  // namespace

RemoteLedger::RemoteLedger(std::shared_ptr<grpc::Channel> channel, RemoteLedgerOptions options)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::LedgerService::NewStub(channel_)) {}

RemoteLedger::~RemoteLedger() = default;

absl::StatusOr<std::unique_ptr<RemoteLedger>> RemoteLedger::Connect(const std::string& address,
                                                                    RemoteLedgerOptions options) {
  if (address.empty()) {
    return InvalidField("address", "must not be empty");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(kMaxRequestMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxResponseMessageBytes);
  if (options.own_channel) {
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(address, credentials, args);
  return std::unique_ptr<RemoteLedger>(new RemoteLedger(std::move(channel), std::move(options)));
}

std::unique_ptr<grpc::ClientContext> RemoteLedger::NewContext(
    std::chrono::milliseconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  AttachToken(options_.bearer_token, context.get());
  return context;
}

absl::StatusOr<Receipt> RemoteLedger::Commit(const Transaction& tx) {
  // The shape is checked here too: a string that is not UTF-8 cannot even be serialized
  // into the request, and the caller must get the same INVALID_ARGUMENT as in-process.
  if (absl::Status shape = ValidateShape(tx); !shape.ok()) {
    return shape;
  }
  v1::CommitRequest request;
  ToProto(tx, request.mutable_transaction());
  v1::Receipt response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->Commit(context.get(), request, &response));
  if (!status.ok()) {
    return StripTransactionPrefix(std::move(status));
  }
  return FromProto(response);
}

void RemoteLedger::CommitAsync(Transaction tx, CommitDone done) {
  if (absl::Status shape = ValidateShape(tx); !shape.ok()) {
    done(shape);
    return;
  }
  // Lives until the answer: gRPC destroys the callback (and so this) after running it.
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    v1::CommitRequest request;
    v1::Receipt response;
    CommitDone done;
  };
  auto call = std::make_shared<Call>();
  ToProto(tx, call->request.mutable_transaction());
  call->context = NewContext(options_.call_timeout);
  call->done = std::move(done);
  stub_->async()->Commit(call->context.get(), &call->request, &call->response,
                         [call](grpc::Status answer) {
                           absl::Status status = FromGrpcStatus(answer);
                           if (!status.ok()) {
                             call->done(StripTransactionPrefix(std::move(status)));
                             return;
                           }
                           call->done(FromProto(call->response));
                         });
}

absl::StatusOr<Head> RemoteLedger::GetHead() {
  v1::Head response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status =
      FromGrpcStatus(stub_->GetHead(context.get(), v1::GetHeadRequest(), &response));
  if (!status.ok()) {
    return status;
  }
  return FromProto(response);
}

absl::StatusOr<RecordSet> RemoteLedger::GetRecords(absl::Span<const std::string> keys,
                                                   const ReadOptions& options) {
  if (absl::Status valid = ValidateReadIds("keys", keys); !valid.ok()) {
    return valid;
  }
  v1::GetRecordsRequest request;
  for (const std::string& key : keys) {
    request.add_keys(key);
  }
  request.set_at_seq(options.at_seq);
  v1::GetRecordsResponse response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->GetRecords(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  RecordSet out;
  out.as_of_seq = response.as_of_seq();
  for (const v1::Record& record : response.records()) {
    out.records.push_back(FromProto(record));
  }
  return out;
}

absl::StatusOr<RecordPage> RemoteLedger::ScanRecords(absl::string_view prefix, const Page& page,
                                                     const ReadOptions& options) {
  return Scan(*stub_, &v1::LedgerService::Stub::ScanRecords, NewContext(options_.call_timeout),
              &v1::ScanRecordsResponse::records, &RecordPage::records, prefix, page, options);
}

absl::StatusOr<std::vector<Seq>> RemoteLedger::RecordHistory(absl::string_view key,
                                                             const ReadOptions& options) {
  if (absl::Status valid = ValidateReadId("key", key, false); !valid.ok()) {
    return valid;
  }
  v1::RecordHistoryRequest request;
  request.set_key(std::string(key));
  request.set_at_seq(options.at_seq);
  v1::RecordHistoryResponse response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->RecordHistory(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  return std::vector<Seq>(response.versions().begin(), response.versions().end());
}

namespace {
absl::StatusOr<BalanceSet> BalancesFrom(const v1::GetBalancesResponse& response) {
  BalanceSet out;
  out.as_of_seq = response.as_of_seq();
  for (const v1::Balance& balance : response.balances()) {
    out.balances.push_back(FromProto(balance));
  }
  return out;
}
}  // namespace

absl::StatusOr<BalanceSet> RemoteLedger::GetBalances(absl::Span<const std::string> accounts,
                                                     const ReadOptions& options) {
  return CallGetBalances(accounts, nullptr, options);
}

absl::StatusOr<BalancePage> RemoteLedger::ScanBalances(absl::string_view prefix, const Page& page,
                                                       const ReadOptions& options) {
  return Scan(*stub_, &v1::LedgerService::Stub::ScanBalances, NewContext(options_.call_timeout),
              &v1::ScanBalancesResponse::balances, &BalancePage::balances, prefix, page, options);
}

absl::StatusOr<BalanceSet> RemoteLedger::GetBalancesAsOfDate(absl::Span<const std::string> accounts,
                                                             absl::CivilDay date,
                                                             const ReadOptions& options) {
  return CallGetBalances(accounts, &date, options);
}

// GetBalances and GetBalancesAsOfDate are one RPC; `date` (may be null) sets as_of_date.
absl::StatusOr<BalanceSet> RemoteLedger::CallGetBalances(absl::Span<const std::string> accounts,
                                                         const absl::CivilDay* date,
                                                         const ReadOptions& options) {
  if (absl::Status valid = ValidateReadIds("accounts", accounts); !valid.ok()) {
    return valid;
  }
  v1::GetBalancesRequest request;
  for (const std::string& account : accounts) {
    request.add_accounts(account);
  }
  request.set_at_seq(options.at_seq);
  if (date != nullptr) {
    ToProto(*date, request.mutable_as_of_date());
  }
  v1::GetBalancesResponse response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->GetBalances(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  return BalancesFrom(response);
}

absl::StatusOr<MovementPage> RemoteLedger::AccountHistory(absl::string_view account,
                                                          const Page& page,
                                                          const ReadOptions& options) {
  if (absl::Status valid = ValidateReadId("account", account, false); !valid.ok()) {
    return valid;
  }
  if (absl::Status valid = ValidatePage(page); !valid.ok()) {
    return valid;
  }
  v1::AccountHistoryRequest request;
  request.set_account(std::string(account));
  request.set_page_size(PageSizeToProto(page.page_size));
  request.set_page_token(page.page_token);
  request.set_at_seq(options.at_seq);
  v1::AccountHistoryResponse response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->AccountHistory(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  MovementPage out;
  out.next_page_token = response.next_page_token();
  out.as_of_seq = response.as_of_seq();
  for (const v1::AccountMovement& movement : response.movements()) {
    absl::StatusOr<AccountMovement> converted = FromProto(movement);
    if (!converted.ok()) {
      return absl::InternalError(
          absl::StrCat("server sent a bad movement: ", converted.status().message()));
    }
    out.movements.push_back(*std::move(converted));
  }
  return out;
}

absl::StatusOr<std::vector<JournalEntry>> RemoteLedger::ReadJournal(Seq from_seq,
                                                                    size_t max_entries) {
  v1::ReadJournalRequest request;
  request.set_from_seq(from_seq);
  // Out-of-range sizes stay out of range on the wire so the server rejects them alike.
  request.set_max_entries(max_entries == 0 ? 0
                                           : std::max<int32_t>(1, PageSizeToProto(max_entries)));
  v1::ReadJournalResponse response;
  auto context = NewContext(options_.call_timeout);
  absl::Status status = FromGrpcStatus(stub_->ReadJournal(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  std::vector<JournalEntry> out;
  out.reserve(static_cast<size_t>(response.entries_size()));
  for (const v1::JournalEntry& entry : response.entries()) {
    absl::StatusOr<JournalEntry> converted = FromProto(entry);
    if (!converted.ok()) {
      return absl::InternalError(
          absl::StrCat("server sent a bad journal entry: ", converted.status().message()));
    }
    out.push_back(*std::move(converted));
  }
  return out;
}

absl::Status RemoteLedger::Watch(Seq from_seq, const WatchCallback& on_entry,
                                 const StopPredicate& stop) {
  // Checked here as well as on the server, so that a caller whose stop predicate is
  // already true still learns that the request was bad (as in-process).
  if (from_seq == 0) {
    return InvalidField("from_seq", "must be at least 1");
  }
  enum : intptr_t { kStart = 1, kRead = 2, kFinish = 3 };
  // No deadline: a watch lasts as long as the caller wants it.
  grpc::ClientContext context;
  AttachToken(options_.bearer_token, &context);
  grpc::CompletionQueue cq;
  v1::WatchRequest request;
  request.set_from_seq(from_seq);
  std::unique_ptr<grpc::ClientAsyncReader<v1::JournalEntry>> reader =
      stub_->PrepareAsyncWatch(&context, request, &cq);
  reader->StartCall(Tag(kStart));

  int pending = 1;           // operations started and not yet seen on the queue
  bool ended_by_us = false;  // stop() or on_entry said so (or we failed to convert)
  bool finishing = false;
  absl::Status local_error;  // a bad entry from the server
  grpc::Status final_status;
  v1::JournalEntry entry;

  auto end_by_us = [&]() {
    ended_by_us = true;
    context.TryCancel();
  };
  auto next_step = [&](bool stream_ok) {
    if (stream_ok && !ended_by_us && stop && stop()) {
      end_by_us();
    }
    if (stream_ok && !ended_by_us) {
      reader->Read(&entry, Tag(kRead));
      ++pending;
    } else if (!finishing) {
      finishing = true;
      reader->Finish(&final_status, Tag(kFinish));
      ++pending;
    }
  };

  while (pending > 0) {
    void* got = nullptr;
    bool ok = false;
    const auto deadline = std::chrono::system_clock::now() + kWatchPollInterval;
    const grpc::CompletionQueue::NextStatus next = cq.AsyncNext(&got, &ok, deadline);
    if (next == grpc::CompletionQueue::TIMEOUT) {
      if (!ended_by_us && stop && stop()) {
        end_by_us();
      }
      continue;
    }
    if (next == grpc::CompletionQueue::SHUTDOWN) {
      break;
    }
    --pending;
    const intptr_t tag = reinterpret_cast<intptr_t>(got);
    if (tag == kStart) {
      next_step(ok);
    } else if (tag == kRead) {
      if (ok && !ended_by_us) {
        absl::StatusOr<JournalEntry> converted = FromProto(entry);
        if (!converted.ok()) {
          local_error = absl::InternalError(
              absl::StrCat("server sent a bad journal entry: ", converted.status().message()));
          end_by_us();
        } else if (!on_entry(*converted)) {
          end_by_us();
        }
      }
      next_step(ok);
    }
    // kFinish: nothing more to start.
  }
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!local_error.ok()) {
    return local_error;
  }
  if (ended_by_us) {
    return absl::OkStatus();
  }
  return FromGrpcStatus(final_status);
}

absl::StatusOr<VerifyReport> RemoteLedger::Verify() {
  v1::VerifyReport response;
  auto context = NewContext(options_.long_call_timeout);
  absl::Status status =
      FromGrpcStatus(stub_->Verify(context.get(), v1::VerifyRequest(), &response));
  if (!status.ok()) {
    return status;
  }
  return FromProto(response);
}

absl::StatusOr<Head> RemoteLedger::Backup(const std::string& directory) {
  v1::BackupRequest request;
  request.set_directory(directory);
  v1::Head response;
  auto context = NewContext(options_.long_call_timeout);
  absl::Status status = FromGrpcStatus(stub_->Backup(context.get(), request, &response));
  if (!status.ok()) {
    return status;
  }
  return FromProto(response);
}

}  // namespace reserve::ledger
