package io.llmgateway.support;

import org.reactivestreams.Publisher;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A provider stand-in that answers {@code POST /v1/chat/completions} with an SSE body drawn from
 * a publisher the test controls: endless, paced, or as fast as the socket takes it. Unlike a
 * stub server it lets the test see demand and cancellation on the upstream side.
 */
public final class SseTestUpstream {

	private SseTestUpstream() {
	}

	/** Starts the upstream on a free loopback port; dispose it when done. */
	public static DisposableServer start(Publisher<String> events) {
		return HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.route(routes -> routes.post("/v1/chat/completions",
					(request, response) -> request.receive()
						.then()
						.thenMany(response.header("Content-Type", "text/event-stream").sendString(events))))
			.bindNow();
	}

}
