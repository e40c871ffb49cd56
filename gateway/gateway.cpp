// Wiring of the gateway's components; see gateway.h. Start order follows the data: what
// consumes work starts before what produces it, so nothing is accepted that cannot be
// handled; stop order is the reverse, so the listeners close first.
#include "gateway/gateway.h"

#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

#include "gateway/api/api_server.h"
#include "gateway/conversion_worker.h"
#include "gateway/delivery/imap_append.h"
#include "gateway/delivery/inbound_delivery.h"
#include "gateway/delivery/outbox.h"
#include "gateway/delivery/replaceable_transport.h"
#include "gateway/delivery/report_delivery.h"
#include "gateway/delivery/smtp_relay.h"
#include "gateway/delivery/transport_selector.h"
#include "gateway/gateway_settings.h"
#include "gateway/image/tiff_to_pdf.h"
#include "gateway/imap/imap_server.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/scheduler/scheduler.h"
#include "gateway/smtp/smtp_server.h"
#include "gateway/smtp_intake.h"
#include "gateway/submission_writer.h"

namespace faxgate::gateway {

namespace {

int64_t nowMs() { return Poco::Timestamp().epochMicroseconds() / 1000; }

Poco::Logger& logger() { return Poco::Logger::get("gateway"); }

SmtpServerOptions smtpOptions(const GatewayConfig& config) {
    SmtpServerOptions options;
    options.listenAddress = config.smtpListenAddress;
    options.port = static_cast<uint16_t>(config.smtpPort);
    options.hostname = config.hostname;
    options.faxDomain = config.faxDomain;
    options.tlsCertificateFile = config.tlsCertificateFile;
    options.tlsPrivateKeyFile = config.tlsPrivateKeyFile;
    options.requireTlsForAuth = config.requireTlsForAuth;
    options.trustedNetworks = config.trustedNetworks;
    options.trustedUser = config.trustedUser;
    options.limits.maxMessageBytes = static_cast<size_t>(config.maxMessageBytes);
    options.limits.maxRecipients = static_cast<size_t>(config.maxRecipients);
    options.limits.maxCommandLineBytes = static_cast<size_t>(config.maxCommandLineBytes);
    options.limits.maxDataLineBytes = static_cast<size_t>(config.maxDataLineBytes);
    options.limits.idleTimeoutMs = config.smtpIdleTimeoutMs;
    options.limits.maxConnections = static_cast<size_t>(config.smtpMaxConnections);
    options.limits.maxAuthFailures = config.maxAuthFailures;
    return options;
}

}  // namespace

struct Gateway::Parts {
    GatewayConfig config;
    std::unique_ptr<Store> store;
    std::unique_ptr<ReplaceableTransport> relay;  // an SmtpRelay, replaced when relay settings
                                                  // are registered (gateway_settings.h)
    std::unique_ptr<ImapAppend> imapAppend;
    TransportSelector transports;  // the outbox's way out, by OutboxMail::transport
    std::unique_ptr<Outbox> outbox;
    std::unique_ptr<ReportDelivery> reports;
    std::unique_ptr<InboundDelivery> inbound;
    std::unique_ptr<NodeRegistry> nodes;
    std::unique_ptr<Scheduler> scheduler;
    std::unique_ptr<ConversionWorker> conversion;
    std::unique_ptr<SubmissionWriter> writer;
    std::unique_ptr<SmtpIntake> intake;
    std::unique_ptr<GatewaySettings> settings;  // what the admin API registers settings with
    std::unique_ptr<ApiServer> api;
    std::unique_ptr<SmtpServer> smtp;
    std::unique_ptr<ImapServer> imap;
    bool running = false;

    // Every job of the submission is final: the sender gets the report.
    void reportResult(int64_t submissionId) {
        try {
            reports->deliverResult(submissionId, nowMs());
        } catch (const std::exception& e) {
            // The submission stays unreported and is reported again at the next start.
            logger().error("submission %Ld: result mail not queued: %s", submissionId,
                           std::string(e.what()));
        }
    }

    // Submissions that ended before a crash but whose report was not yet queued.
    void reportUnreported() {
        for (SubmissionState state : {SubmissionState::Ready, SubmissionState::Failed}) {
            for (const Submission& submission : store->submissionsInState(state)) {
                if (!submission.reported) reportResult(submission.id);
            }
        }
    }
};

Gateway::Gateway(GatewayConfig config) : parts_(std::make_unique<Parts>()) {
    Parts& p = *parts_;
    p.config = std::move(config);
    const GatewayConfig& c = p.config;
    Poco::File(c.dataDir).createDirectories();
    p.store = openSqliteStore(c.databasePath());
    // The values registered at the admin API replace the file's (the store's place is the
    // file's alone: gateway.data_dir and gateway.database cannot be registered).
    p.config = withRegisteredSettings(p.config, *p.store);

    if (!c.relayUrl.empty()) {
        p.relay =
            std::make_unique<ReplaceableTransport>(std::make_shared<SmtpRelay>(relayOptionsOf(c)));
        p.transports.add("smtp", *p.relay);
    }
    if (!c.imapAppendUrl.empty()) {
        ImapAppendOptions append;
        append.url = c.imapAppendUrl;
        append.loginTemplate = c.imapAppendLogin;
        append.password = c.imapAppendPassword;
        append.requireTls = c.imapAppendRequireTls;
        append.verifyCertificate = c.imapAppendVerifyCertificate;
        append.caFile = c.imapAppendCaFile;
        append.timeoutMs = static_cast<long>(c.imapAppendTimeoutMs);
        p.imapAppend = std::make_unique<ImapAppend>(append);
        p.transports.add("imap_append", *p.imapAppend);
    }
    if (p.relay || p.imapAppend) {
        OutboxOptions outbox;
        outbox.firstRetryDelayMs = c.outboxFirstRetryDelayMs;
        outbox.maxRetryDelayMs = c.outboxMaxRetryDelayMs;
        outbox.maxAgeMs = c.outboxMaxAgeMs;
        p.outbox = std::make_unique<Outbox>(*p.store, p.transports, outbox);
    }
    // Result reports leave only by the relay; without one they stay in "Sent Faxes".
    p.reports = std::make_unique<ReportDelivery>(*p.store, p.relay ? p.outbox.get() : nullptr,
                                                 c.templatesDir, c.reportFrom, c.hostname);
    if (c.attachDocument) {
        p.reports->setPdfMaker([](const std::string& tiff) {
            PdfWrapOptions options;
            options.title = "Fax as sent";
            return wrapFaxTiffAsPdf(tiff, options);
        });
    }

    InboundDeliveryOptions inbound;
    inbound.mail.templatesDir = c.templatesDir;
    inbound.mail.fromAddress = c.reportFrom;
    inbound.mail.hostname = c.hostname;
    // The copy for a user with an external address takes the configured way, if it exists.
    inbound.externalTransport =
        p.transports.has(c.externalDelivery) ? c.externalDelivery : std::string();
    p.inbound = std::make_unique<InboundDelivery>(*p.store, p.outbox.get(), inbound, nowMs);

    NodeRegistryOptions registry;
    registry.heartbeatIntervalMs = c.nodeHeartbeatIntervalMs;
    registry.settingsPushTimeoutMs = c.nodeSettingsPushTimeoutMs;
    p.nodes = std::make_unique<NodeRegistry>(*p.store, registry, nowMs);

    SchedulerOptions scheduling;
    scheduling.maxCallsPerDestination = c.maxCallsPerDestination;
    scheduling.attemptTimeoutMs = c.attemptTimeoutMs;
    Parts* parts = &p;
    p.scheduler = std::make_unique<Scheduler>(
        *p.store, *p.nodes, scheduling,
        [parts](int64_t submissionId) { parts->reportResult(submissionId); }, nowMs);
    p.nodes->setOnChange([parts] { parts->scheduler->wake(); });
    if (c.requeueNotices) {
        p.scheduler->setOnJobRequeued([parts](const Job& job) {
            try {
                parts->reports->deliverRequeueNotice(job, nowMs());
            } catch (const std::exception& e) {
                logger().error("job %Ld: requeue notice not queued: %s", job.id,
                               std::string(e.what()));
            }
        });
    }

    ConversionSettings conversion;
    conversion.maxPages = c.maxPages;
    conversion.templatesDir = c.templatesDir;
    conversion.limits.maxAttachments = static_cast<size_t>(c.maxAttachments);
    p.conversion = std::make_unique<ConversionWorker>(
        *p.store, conversion, c.conversionThreads,
        [parts](int64_t id) { parts->scheduler->submissionReady(id); },
        [parts](int64_t id) { parts->reportResult(id); });
    p.writer = std::make_unique<SubmissionWriter>(
        *p.store, static_cast<size_t>(c.maxCommitBatch),
        [parts](const std::vector<int64_t>& ids) { parts->conversion->enqueue(ids); });

    SmtpIntakeSettings intake;
    intake.limits = conversion.limits;
    intake.killTimeMs = c.killTimeMs;
    intake.broadcastPriority = c.broadcastPriority;
    p.intake = std::make_unique<SmtpIntake>(*p.store, *p.writer, intake);

    ApiServerOptions api;
    api.listenAddress = c.httpListenAddress;
    api.port = static_cast<uint16_t>(c.httpPort);
    api.maxRequestBytes = static_cast<size_t>(c.httpMaxRequestBytes);
    api.maxThreads = c.httpMaxThreads;
    api.maxInboundBytes = static_cast<size_t>(c.httpMaxInboundBytes);
    api.tlsCertificateFile = c.httpTlsCertificateFile;
    api.tlsPrivateKeyFile = c.httpTlsPrivateKeyFile;
    if (!c.configFile.empty()) p.settings = std::make_unique<GatewaySettings>(c, p.relay.get());
    p.api = std::make_unique<ApiServer>(api, *p.store, *p.nodes, *p.scheduler, p.inbound.get(),
                                        p.settings.get());
    p.smtp = std::make_unique<SmtpServer>(smtpOptions(c), *p.intake);
    if (c.imapEnabled) {
        ImapServerOptions imap;
        imap.listenAddress = c.imapListenAddress;
        imap.port = static_cast<uint16_t>(c.imapPort);
        imap.implicitTlsPort = static_cast<uint16_t>(c.imapImplicitTlsPort);
        imap.hostname = c.hostname;
        imap.tlsCertificateFile = c.imapTlsCertificateFile;
        imap.tlsPrivateKeyFile = c.imapTlsPrivateKeyFile;
        imap.allowPlaintextLogin = c.imapAllowPlaintextLogin;
        imap.maxLiteralBytes = static_cast<size_t>(c.imapMaxLiteralBytes);
        imap.idleTimeoutMs = c.imapIdleTimeoutMs;
        imap.maxConnections = static_cast<size_t>(c.imapMaxConnections);
        imap.maxConnectionsPerUser = static_cast<size_t>(c.imapMaxConnectionsPerUser);
        p.imap = std::make_unique<ImapServer>(imap, *p.store);
    }
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
    Parts& p = *parts_;
    if (p.outbox) p.outbox->start();
    p.reportUnreported();
    p.scheduler->start();
    p.conversion->start();
    p.writer->start();
    p.api->start();
    p.smtp->start();
    if (p.imap) p.imap->start();
    p.running = true;
    logger().information("fax-gateway listening: SMTP %s:%hu, IMAP %s:%hu, %s %s:%hu, store %s",
                         p.config.smtpListenAddress, p.smtp->port(), p.config.imapListenAddress,
                         p.imap ? p.imap->port() : uint16_t{0},
                         std::string(p.api->tls() ? "HTTPS" : "HTTP"), p.config.httpListenAddress,
                         p.api->port(), p.config.databasePath());
}

void Gateway::stop() {
    Parts& p = *parts_;
    if (!p.running) return;
    p.running = false;
    if (p.imap) p.imap->stop();
    p.smtp->stop();
    p.api->stop();
    p.writer->stop();
    p.conversion->stop();
    p.scheduler->stop();
    if (p.outbox) p.outbox->stop();
    logger().information("fax-gateway stopped");
}

uint16_t Gateway::smtpPort() const { return parts_->smtp->port(); }
uint16_t Gateway::httpPort() const { return parts_->api->port(); }
uint16_t Gateway::imapPort() const { return parts_->imap ? parts_->imap->port() : 0; }
Store& Gateway::store() { return *parts_->store; }

}  // namespace faxgate::gateway
