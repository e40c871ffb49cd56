// Internals shared by the SQLite store's source files; see sqlite_store_internal.h.
#include "gateway/store/sqlite_store_internal.h"

namespace faxgate::gateway::sqlite_internal {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::BLOB;
using Poco::Data::Session;

// ---- Checks and conversions --------------------------------------------------------------

void fail(const std::string& operation, const std::string& what) {
    throw StoreError("store: " + operation + ": " + what);
}

void checkId(const char* operation, const char* field, const std::string& id) {
    if (id.empty()) fail(operation, std::string(field) + " is empty");
    if (id.size() > kMaxStoreIdBytes) {
        fail(operation,
             std::string(field) + " longer than " + std::to_string(kMaxStoreIdBytes) + " bytes");
    }
}

void checkLimit(const char* operation, int limit) {
    if (limit < 1 || limit > kMaxStoreListLimit) {
        fail(operation, "limit " + std::to_string(limit) + " is not in 1.." +
                            std::to_string(kMaxStoreListLimit));
    }
}

std::string checkOutboxMail(const char* operation, const OutboxMail& mail) {
    if (mail.to.empty()) fail(operation, "mail without recipients");
    std::string recipients;
    for (const std::string& address : mail.to) {
        if (address.empty() || address.find_first_of("\r\n") != std::string::npos) {
            fail(operation, "invalid recipient address '" + address + "'");
        }
        if (!recipients.empty()) recipients += '\n';
        recipients += address;
    }
    if (mail.from.find_first_of("\r\n") != std::string::npos) {
        fail(operation, "sender address contains a line break");
    }
    if (mail.data.empty()) fail(operation, "empty message");
    if (mail.transport != "smtp" && mail.transport != "imap_append") {
        fail(operation, "unknown transport '" + mail.transport + "'");
    }
    return recipients;
}

BLOB toBlob(const std::string& bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string fromBlob(const BLOB& blob) {
    if (blob.size() == 0) return {};
    return std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

User toUser(const UserRow& row) {
    User user;
    user.id = row.get<0>();
    user.passwordHash = row.get<1>();
    const auto role = roleFromString(row.get<2>());
    if (!role) fail("read user " + user.id, "unknown role '" + row.get<2>() + "'");
    user.role = *role;
    user.email = row.get<3>();
    user.defaultNode = row.get<4>();
    user.resolution = row.get<5>();
    user.coverPage = row.get<6>() != 0;
    user.attachmentFormat = row.get<7>();
    return user;
}

Node toNode(const NodeRow& row) {
    Node node;
    node.id = row.get<0>();
    node.url = row.get<1>();
    node.secret = row.get<2>();
    node.priority = row.get<3>();
    node.keepLinesForReceive = row.get<4>();
    node.retry.killTimeMs = row.get<5>();
    node.retry.maxDials = row.get<6>();
    node.retry.maxConnectedTries = row.get<7>();
    node.retry.busyRetryMs = row.get<8>();
    node.retry.failureRetryMs = row.get<9>();
    node.previousSecret = row.get<10>();
    return node;
}

CommunicationRecord toRecord(const RecordRow& row) {
    CommunicationRecord record;
    record.recordId = row.get<0>();
    record.direction = row.get<1>();
    record.jobId = row.get<2>();
    record.attempt = row.get<3>();
    record.nodeId = row.get<4>();
    record.line = row.get<5>();
    record.number = row.get<6>();
    record.remoteCsid = row.get<7>();
    record.pages = row.get<8>();
    record.pagesTotal = row.get<9>();
    record.durationMs = row.get<10>();
    record.bitRate = row.get<11>();
    record.ecm = row.get<12>() != 0;
    record.result = row.get<13>();
    record.reason = row.get<14>();
    record.startedMs = row.get<15>();
    record.endedMs = row.get<16>();
    record.calledNumber = row.get<17>();
    record.callerNumber = row.get<18>();
    record.routedTo = row.get<19>();
    return record;
}

// ---- Statements --------------------------------------------------------------------------

Int64 lastInsertId(Session& session) {
    Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    return id;
}

int changedRows(Session& session) {
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
}

int countById(Session& session, const std::string& table, const std::string& id) {
    int count = 0;
    session << "SELECT COUNT(*) FROM " + table + " WHERE id = ?", bind(id), into(count), now;
    return count;
}

void insertUserRow(Session& session, const User& user) {
    session << "INSERT INTO users (" + kUserColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        bind(user.id), bind(user.passwordHash), bind(toString(user.role)), bind(user.email),
        bind(user.defaultNode), bind(user.resolution), bind(user.coverPage ? 1 : 0),
        bind(user.attachmentFormat), now;
}

void updateUserRow(Session& session, const User& user) {
    session << "UPDATE users SET password_hash = ?, role = ?, email = ?, default_node = ?,"
               " resolution = ?, cover_page = ?, attachment_format = ? WHERE id = ?",
        bind(user.passwordHash), bind(toString(user.role)), bind(user.email),
        bind(user.defaultNode), bind(user.resolution), bind(user.coverPage ? 1 : 0),
        bind(user.attachmentFormat), bind(user.id), now;
}

void insertNodeRow(Session& session, const Node& node, bool replaceExisting) {
    const std::string sql =
        "INSERT INTO nodes (" + kNodeColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
        (replaceExisting ? " ON CONFLICT (id) DO UPDATE SET url = excluded.url,"
                           " secret = excluded.secret, priority = excluded.priority,"
                           " keep_lines_for_receive = excluded.keep_lines_for_receive,"
                           " kill_time_ms = excluded.kill_time_ms, max_dials = excluded.max_dials,"
                           " max_connected_tries = excluded.max_connected_tries,"
                           " busy_retry_ms = excluded.busy_retry_ms,"
                           " failure_retry_ms = excluded.failure_retry_ms,"
                           " previous_secret = excluded.previous_secret"
                         : "");
    session << sql, bind(node.id), bind(node.url), bind(node.secret), bind(node.priority),
        bind(node.keepLinesForReceive), bind(Int64{node.retry.killTimeMs}),
        bind(node.retry.maxDials), bind(node.retry.maxConnectedTries),
        bind(Int64{node.retry.busyRetryMs}), bind(Int64{node.retry.failureRetryMs}),
        bind(node.previousSecret), now;
}

bool recordExists(Session& session, const std::string& recordId) {
    int count = 0;
    session << "SELECT COUNT(*) FROM records WHERE record_id = ?", bind(recordId), into(count), now;
    return count > 0;
}

bool insertRecord(Session& session, const CommunicationRecord& record) {
    if (recordExists(session, record.recordId)) return false;
    session << "INSERT INTO records (" + kRecordColumns +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(record.recordId), bind(record.direction), bind(Int64{record.jobId}),
        bind(record.attempt), bind(record.nodeId), bind(record.line), bind(record.number),
        bind(record.remoteCsid), bind(record.pages), bind(record.pagesTotal),
        bind(Int64{record.durationMs}), bind(record.bitRate), bind(record.ecm ? 1 : 0),
        bind(record.result), bind(record.reason), bind(Int64{record.startedMs}),
        bind(Int64{record.endedMs}), bind(record.calledNumber), bind(record.callerNumber),
        bind(record.routedTo), now;
    return true;
}

void ensureMailbox(Session& session, const std::string& user, const std::string& folder) {
    session << "INSERT INTO mailbox_next_uid (user, folder, next_uid) VALUES (?, ?, 1)"
               " ON CONFLICT (user, folder) DO NOTHING",
        bind(user), bind(folder), now;
}

Int64 insertMailboxMessage(Session& session, const std::string& user, const std::string& folder,
                           Int64 internalDateMs, const std::string& flags,
                           const std::string& data) {
    ensureMailbox(session, user, folder);
    Int64 uid = 0;
    session << "SELECT next_uid FROM mailbox_next_uid WHERE user = ? AND folder = ?", bind(user),
        bind(folder), into(uid), now;
    session << "UPDATE mailbox_next_uid SET next_uid = ? WHERE user = ? AND folder = ?",
        bind(Int64{uid + 1}), bind(user), bind(folder), now;
    BLOB blob = toBlob(data);
    session << "INSERT INTO mailbox (user, folder, uid, internal_date_ms, flags, data)"
               " VALUES (?, ?, ?, ?, ?, " FAXGATE_BLOB_PARAM ")",
        bind(user), bind(folder), bind(uid), bind(internalDateMs), bind(flags), use(blob), now;
    return uid;
}

void insertOutboxMail(Session& session, const OutboxMail& mail, const std::string& recipients) {
    BLOB data = toBlob(mail.data);
    session << "INSERT INTO outbox (state, sender, recipients, tries, next_try_ms,"
               " last_error, transport, data)"
               " VALUES ('queued', ?, ?, ?, ?, ?, ?, " FAXGATE_BLOB_PARAM ")",
        bind(mail.from), bind(recipients), bind(mail.tries), bind(Int64{mail.nextTryMs}),
        bind(mail.lastError), bind(mail.transport), use(data), now;
}

// ---- Transactions ------------------------------------------------------------------------

void rollbackQuietly(Session& session) {
    try {
        session << "ROLLBACK", now;
    } catch (const Poco::Exception&) {
    }
}

}  // namespace faxgate::gateway::sqlite_internal
