package io.llmgateway.support;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran. Registered for every test
 * class through JUnit's extension auto-detection. Netty notices a leak only when a leaked buffer
 * has been garbage collected and a later allocation polls for it, so both are provoked here.
 */
public class NettyLeakDetection implements AfterAllCallback {

	@Override
	public void afterAll(ExtensionContext context) throws Exception {
		assertThat(ResourceLeakDetector.getLevel()).as("leak detection level")
			.isEqualTo(ResourceLeakDetector.Level.PARANOID);
		for (int round = 0; round < 3; round++) {
			System.gc();
			Thread.sleep(50);
			for (int i = 0; i < 200; i++) {
				ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
				probe.release();
			}
		}
		List<String> leaks = LeakRecordingDetectorFactory.drain();
		assertThat(leaks).as("Netty buffer leaks reported during %s", context.getDisplayName()).isEmpty();
	}

}
