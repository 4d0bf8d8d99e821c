// The HTTP client against real sockets: a loopback server in this process
// (src/util/testing) and closed ports. Registry and Docker engine use are
// tested in image_test and docker_test against the real services.
#include "util/http.hpp"

#include <gtest/gtest.h>

#include <string>

#include "util/testing/loopback_http_server.hpp"

using namespace bulwark;
using bulwark::testing::LoopbackHttpServer;
using bulwark::testing::TestRequest;
using bulwark::testing::TestResponse;

namespace {

// A port nothing listens on: bind one, read its number, close it.
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST(Http, GetKeepsBodyStatusAndRepeatedHeaders) {
  LoopbackHttpServer server([](const TestRequest& req) {
    TestResponse r;
    r.status = 401;
    r.headers = {{"WWW-Authenticate", "Bearer realm=\"a\""},
                 {"www-authenticate", "Basic realm=\"b\""},
                 {"X-Echo-Agent", req.headers.count("user-agent") ? req.headers.at("user-agent") : ""},
                 {"X-Echo-Custom", req.headers.count("x-custom") ? req.headers.at("x-custom") : ""}};
    r.body = "denied";
    return r;
  });
  util::HttpClient client;
  auto res = client.fetch({.url = "http://" + server.host() + "/v2/", .headers = {{"X-Custom", "42"}}}, 1024);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->body, "denied");
  auto challenges = res->headers.get_all("WWW-AUTHENTICATE");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0], "Bearer realm=\"a\"");
  EXPECT_EQ(challenges[1], "Basic realm=\"b\"");
  EXPECT_EQ(res->headers.get("x-echo-custom").value_or(""), "42");
  EXPECT_TRUE(res->headers.get("X-Echo-Agent").value_or("").starts_with("bulwark/"));
  EXPECT_FALSE(res->headers.get("X-Missing").has_value());
}

TEST(Http, BodyLargerThanLimitIsRefused) {
  LoopbackHttpServer server([](const TestRequest&) { return TestResponse{200, {}, std::string(5000, 'x')}; });
  util::HttpClient client;
  auto url = "http://" + server.host() + "/big";
  auto res = client.fetch({.url = url}, 4999);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::limit);
  EXPECT_EQ(res.error().context, url);
  auto ok = client.fetch({.url = url}, 5000);
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->body.size(), 5000u);
}

TEST(Http, PostSendsBodyAndHeadSendsNone) {
  LoopbackHttpServer server([](const TestRequest& req) {
    return TestResponse{200, {{"X-Method", req.method}}, req.method == "POST" ? "got:" + req.body : "abc"};
  });
  util::HttpClient client;
  auto post =
      client.fetch({.method = util::HttpMethod::post, .url = "http://" + server.host() + "/p", .body = "hi"}, 100);
  ASSERT_TRUE(post) << post.error().describe();
  EXPECT_EQ(post->body, "got:hi");
  auto head = client.fetch({.method = util::HttpMethod::head, .url = "http://" + server.host() + "/h"}, 100);
  ASSERT_TRUE(head) << head.error().describe();
  EXPECT_EQ(head->headers.get("x-method").value_or(""), "HEAD");
  EXPECT_EQ(head->body, "");
}

// PUT (registry blob uploads and manifests) sends its body under the PUT verb, with the
// Content-Type given; the handle's next request is a plain GET again.
TEST(Http, PutSendsBodyUnderThePutVerb) {
  LoopbackHttpServer server(
      [](const TestRequest& req) {
        const std::string type = req.headers.count("content-type") ? req.headers.at("content-type") : "";
        return TestResponse{201, {{"X-Method", req.method}}, req.method + " " + type + " " + req.body};
      },
      5160);
  util::HttpClient client;
  auto put = client.fetch({.method = util::HttpMethod::put,
                           .url = "http://" + server.host() + "/v2/r/manifests/1",
                           .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
                           .body = R"({"schemaVersion":2})"},
                          100);
  ASSERT_TRUE(put) << put.error().describe();
  EXPECT_EQ(put->status, 201);
  EXPECT_EQ(put->body, R"(PUT application/vnd.oci.image.manifest.v1+json {"schemaVersion":2})");
  auto get = client.fetch({.url = "http://" + server.host() + "/g"}, 100);
  ASSERT_TRUE(get) << get.error().describe();
  EXPECT_EQ(get->headers.get("x-method").value_or(""), "GET");
}

TEST(Http, RedirectToAnotherHostDropsAuthorization) {
  // "localhost" and "127.0.0.1" are different hosts to the client, like a
  // registry and the object storage it redirects blob downloads to.
  LoopbackHttpServer storage([](const TestRequest& req) {
    return TestResponse{200, {}, req.headers.count("authorization") ? "saw-auth" : "no-auth"};
  });
  LoopbackHttpServer registry([&](const TestRequest& req) {
    if (req.target == "/same") return TestResponse{302, {{"Location", "/final"}}, ""};
    if (req.target == "/final") {
      return TestResponse{200, {}, req.headers.count("authorization") ? "saw-auth" : "no-auth"};
    }
    return TestResponse{
        307, {{"Location", "http://localhost:" + std::to_string(storage.port()) + "/blob?sig=s3cr3t"}}, ""};
  });
  util::HttpClient client;
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer token-xyz"}};
  auto other = client.fetch({.url = "http://" + registry.host() + "/v2/r/blobs/x", .headers = auth}, 100);
  ASSERT_TRUE(other) << other.error().describe();
  EXPECT_EQ(other->body, "no-auth");
  EXPECT_TRUE(other->final_url.starts_with("http://localhost:"));
  auto same = client.fetch({.url = "http://" + registry.host() + "/same", .headers = auth}, 100);
  ASSERT_TRUE(same) << same.error().describe();
  EXPECT_EQ(same->body, "saw-auth");
}

TEST(Http, RedirectLoopStops) {
  LoopbackHttpServer server([](const TestRequest&) { return TestResponse{302, {{"Location", "/again"}}, ""}; });
  util::HttpClient client(util::HttpOptions{.max_redirects = 3});
  auto res = client.fetch({.url = "http://" + server.host() + "/start"}, 100);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::network);
  EXPECT_NE(res.error().message.find("redirects"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(Http, StreamsSuccessBodiesAndKeepsErrorBodies) {
  const std::string payload(200000, 'z');
  LoopbackHttpServer server([&](const TestRequest& req) {
    if (req.target == "/missing") return TestResponse{404, {}, "{\"errors\":[]}"};
    return TestResponse{200, {}, payload};
  });
  util::HttpClient client;
  std::string got;
  auto sink = [&](std::string_view chunk) -> Status {
    got.append(chunk);
    return {};
  };
  auto res = client.fetch_to({.url = "http://" + server.host() + "/blob"}, sink);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(got, payload);
  EXPECT_TRUE(res->body.empty());

  got.clear();
  auto missing = client.fetch_to({.url = "http://" + server.host() + "/missing"}, sink);
  ASSERT_TRUE(missing) << missing.error().describe();
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(missing->body, "{\"errors\":[]}");

  auto stop = [](std::string_view) -> Status { return fail(ErrorCode::io, "disk full", "/tmp/x"); };
  auto stopped = client.fetch_to({.url = "http://" + server.host() + "/blob"}, stop);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::io);
  EXPECT_EQ(stopped.error().message, "disk full");
}

TEST(Http, ConnectionFailureNamesRedactedUrl) {
  util::HttpClient client(util::HttpOptions{.connect_timeout = std::chrono::seconds(5)});
  auto url = "http://user:hunter2@127.0.0.1:" + std::to_string(closed_port()) + "/v2/?token=s3cr3t";
  auto res = client.fetch({.url = url}, 100);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::network);
  EXPECT_EQ(res.error().describe().find("hunter2"), std::string::npos);
  EXPECT_EQ(res.error().describe().find("s3cr3t"), std::string::npos);
  EXPECT_NE(res.error().context.find("127.0.0.1"), std::string::npos);
}

TEST(Http, TlsIsVerifiedByDefault) {
  // A plain-HTTP server spoken to over https fails the TLS handshake; the
  // client must report it instead of falling back to plain HTTP.
  LoopbackHttpServer server([](const TestRequest&) { return TestResponse{200, {}, "plain"}; });
  util::HttpClient client(util::HttpOptions{.connect_timeout = std::chrono::seconds(5)});
  auto res = client.fetch({.url = "https://" + server.host() + "/v2/"}, 100);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::network);
}

TEST(Http, UrlHelpers) {
  EXPECT_EQ(util::redact_url("https://u:p@reg.example:443/v2/x?X-Amz-Signature=abc#f"), "https://reg.example:443/v2/x");
  auto r = util::resolve_url("https://reg.example/v2/a/blobs/sha256:1", "/store/abc?sig=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "https://reg.example/store/abc?sig=1");
  auto o1 = util::url_origin("HTTPS://Reg.Example/v2/");
  auto o2 = util::url_origin("https://reg.example:443/x");
  ASSERT_TRUE(o1 && o2);
  EXPECT_EQ(*o1, *o2);
  EXPECT_NE(*util::url_origin("http://reg.example/"), *o1);
  EXPECT_EQ(util::url_encode("repository:a/b:pull", ":/"), "repository:a/b:pull");
  EXPECT_EQ(util::url_encode("a b&c"), "a%20b%26c");
}

TEST(Http, HeaderInjectionIsRefused) {
  LoopbackHttpServer server([](const TestRequest&) { return TestResponse{200, {}, "ok"}; });
  util::HttpClient client;
  auto res = client.fetch(
      {.url = "http://" + server.host() + "/", .headers = {{"Authorization", "Bearer x\r\nX-Evil: 1"}}}, 100);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::invalid_argument);
  EXPECT_TRUE(server.requests().empty());
  EXPECT_FALSE(client.fetch({.url = "http://" + server.host() + "/", .headers = {{"Bad:Name", "v"}}}, 100));
  EXPECT_TRUE(client.fetch({.url = "http://" + server.host() + "/", .headers = {{"X-Ok", "v"}}}, 100));
}

TEST(Http, LimitIsForTheWantedBodyNotARedirectPage) {
  // Registries redirect even tiny blobs (a 2-byte "{}" config) with long pages.
  LoopbackHttpServer server([](const TestRequest& req) {
    if (req.target == "/blob") return TestResponse{307, {{"Location", "/final"}}, std::string(5000, 'r')};
    if (req.target == "/error") return TestResponse{500, {}, std::string(100000, 'e')};
    return TestResponse{200, {}, "{}"};
  });
  util::HttpClient client;
  auto res = client.fetch({.url = "http://" + server.host() + "/blob"}, 2);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{}");
  auto err = client.fetch({.url = "http://" + server.host() + "/error"}, 2);
  ASSERT_TRUE(err) << err.error().describe();
  EXPECT_EQ(err->status, 500);
  EXPECT_EQ(err->body.size(), 64u * 1024);
}
