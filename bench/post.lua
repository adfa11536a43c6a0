-- wrk script: POST a non-streaming OpenAI chat-completions request on every call.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"Tell me a short story about a fox."}]}'

