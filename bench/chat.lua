-- wrk script: one chat request, plain or streamed (BENCH_STREAM=1), with the
-- bearer token from BENCH_AUTH.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_AUTH")
if os.getenv("BENCH_STREAM") == "1" then
  wrk.headers["x-sim-tokens"] = "8"
  wrk.body = '{"model":"MiniMax-M2.7","stream":true,"messages":[{"role":"user","content":"hello, benchmark"}]}'
else
  wrk.body = '{"model":"MiniMax-M2.7","messages":[{"role":"user","content":"hello, benchmark"}]}'
end
