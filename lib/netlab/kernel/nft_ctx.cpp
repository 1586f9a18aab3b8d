#include <netlab/kernel/nft_ctx.hpp>

#include <nftables/libnftables.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>

namespace netlab {
namespace {

struct NftCtxDeleter {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using NftCtx = std::unique_ptr<nft_ctx, NftCtxDeleter>;

// libnftables keeps some process-wide state (parser/cache setup); one call at a time.
std::mutex g_nft_mutex;

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// JSON input has no line numbers, so nft prefixes each error with a dummy location.
std::string without_location(std::string s) {
  constexpr std::string_view k_dummy = "internal:0:0-0: ";
  for (auto at = s.find(k_dummy); at != std::string::npos; at = s.find(k_dummy, at)) s.erase(at, k_dummy.size());
  return s;
}

} // namespace

Expected<nlohmann::json> nft_run_json(const nlohmann::json& batch) {
  std::lock_guard lock(g_nft_mutex);
  NftCtx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return fail("nft: cannot create a libnftables context");
  // JSON output also makes nft parse the input as JSON.
  nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
    return fail("nft: cannot buffer libnftables output");
  const std::string text = batch.dump();
  if (nft_run_cmd_from_buffer(ctx.get(), text.c_str()) != 0) {
    std::string err = without_location(trimmed(nft_ctx_get_error_buffer(ctx.get())));
    return fail("nft: " + (err.empty() ? std::string("command failed") : err));
  }
  std::string out = trimmed(nft_ctx_get_output_buffer(ctx.get()));
  if (out.empty()) return nlohmann::json();
  auto parsed = nlohmann::json::parse(out, nullptr, false);
  if (parsed.is_discarded()) return fail("nft: unparsable JSON output: " + out.substr(0, 200));
  return parsed;
}

Expected<std::string> nft_run_text(const std::string& command) {
  std::lock_guard lock(g_nft_mutex);
  NftCtx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return fail("nft: cannot create a libnftables context");
  nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_HANDLE);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
    return fail("nft: cannot buffer libnftables output");
  if (nft_run_cmd_from_buffer(ctx.get(), command.c_str()) != 0) {
    std::string err = trimmed(nft_ctx_get_error_buffer(ctx.get()));
    return fail("nft: " + (err.empty() ? std::string("command failed") : err));
  }
  // Once: each call hands over what was buffered and empties the buffer.
  const char* out = nft_ctx_get_output_buffer(ctx.get());
  return std::string(out ? out : "");
}

} // namespace netlab
