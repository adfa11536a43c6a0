package io.llmgateway.config;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LeakDetectionDefaultTests {

	private final Map<String, String> saved = new HashMap<>();

	@BeforeEach
	void save() {
		for (String name : new String[] { LeakDetectionDefault.LEVEL_PROPERTY,
				LeakDetectionDefault.LEGACY_LEVEL_PROPERTY }) {
			this.saved.put(name, System.getProperty(name));
			System.clearProperty(name);
		}
	}

	@AfterEach
	void restore() {
		this.saved.forEach((name, value) -> {
			if (value == null) {
				System.clearProperty(name);
			}
			else {
				System.setProperty(name, value);
			}
		});
	}

	@Test
	void offWhenNothingIsConfigured() {
		assertThat(LeakDetectionDefault.applyDefault()).isEqualTo("disabled");
		assertThat(System.getProperty(LeakDetectionDefault.LEVEL_PROPERTY)).isEqualTo("disabled");
	}

	@Test
	void anExplicitLevelWins() {
		System.setProperty(LeakDetectionDefault.LEVEL_PROPERTY, "paranoid");
		assertThat(LeakDetectionDefault.applyDefault()).isEqualTo("paranoid");
		assertThat(System.getProperty(LeakDetectionDefault.LEVEL_PROPERTY)).isEqualTo("paranoid");
	}

	@Test
	void nettysOlderPropertyWinsToo() {
		System.setProperty(LeakDetectionDefault.LEGACY_LEVEL_PROPERTY, "simple");
		assertThat(LeakDetectionDefault.applyDefault()).isEqualTo("simple");
		assertThat(System.getProperty(LeakDetectionDefault.LEVEL_PROPERTY)).isNull();
	}

}
