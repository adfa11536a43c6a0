package io.llmgateway.filter;

import java.io.IOException;
import java.net.ConnectException;

import org.junit.jupiter.api.Test;
import reactor.netty.channel.AbortedException;

import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;

class FailuresTests {

	@Test
	void onlyACloseBeforeTheRequestWasWrittenProvesTheUpstreamGotNothing() {
		assertThat(Failures.requestNotSent(AbortedException.beforeSend())).isTrue();
		assertThat(Failures.requestNotSent(new IllegalStateException("wrapped", AbortedException.beforeSend())))
			.isTrue();
		assertThat(Failures.requestNotSent(new AbortedException("Connection has been closed"))).isFalse();
		assertThat(Failures.requestNotSent(new IOException("Connection reset by peer"))).isFalse();
		assertThat(Failures.requestNotSent(new ConnectException("Connection refused"))).isFalse();
	}

	@Test
	void upstreamFailuresAreTransportFailuresOnly() {
		assertThat(Failures.isUpstreamFailure(new ConnectException("Connection refused"))).isTrue();
		assertThat(Failures.isUpstreamFailure(new IOException("Connection reset by peer"))).isTrue();
		assertThat(Failures.isUpstreamFailure(AbortedException.beforeSend())).isTrue();
		assertThat(Failures.isUpstreamFailure(new ResponseStatusException(
				HttpStatus.GATEWAY_TIMEOUT))).isTrue();
		assertThat(Failures.isUpstreamFailure(new IllegalStateException("a bug"))).isFalse();
		// What the server side raises when the client hangs up mid-upload: not the upstream's.
		assertThat(Failures.isUpstreamFailure(new AbortedException("Connection has been closed"))).isFalse();
		assertThat(Failures.isUpstreamFailure(new ResponseStatusException(
				HttpStatus.NOT_FOUND))).isFalse();
	}

}
