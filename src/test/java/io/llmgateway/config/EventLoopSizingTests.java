package io.llmgateway.config;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.netty.ReactorNetty;

import static org.assertj.core.api.Assertions.assertThat;

class EventLoopSizingTests {

	private String saved;

	@BeforeEach
	void save() {
		this.saved = System.getProperty(ReactorNetty.IO_WORKER_COUNT);
	}

	@AfterEach
	void restore() {
		if (this.saved == null) {
			System.clearProperty(ReactorNetty.IO_WORKER_COUNT);
		}
		else {
			System.setProperty(ReactorNetty.IO_WORKER_COUNT, this.saved);
		}
	}

	@Test
	void oneEventLoopPerAvailableProcessorWhenNothingIsConfigured() {
		System.clearProperty(ReactorNetty.IO_WORKER_COUNT);
		int loops = EventLoopSizing.applyDefault();
		assertThat(loops).isEqualTo(Runtime.getRuntime().availableProcessors());
		assertThat(System.getProperty(ReactorNetty.IO_WORKER_COUNT)).isEqualTo(Integer.toString(loops));
	}

	@Test
	void anExplicitSettingWins() {
		System.setProperty(ReactorNetty.IO_WORKER_COUNT, " 7 ");
		assertThat(EventLoopSizing.applyDefault()).isEqualTo(7);
		assertThat(System.getProperty(ReactorNetty.IO_WORKER_COUNT)).isEqualTo(" 7 ");
	}

}
