package io.llmgateway.headers;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;

/**
 * Puts {@link OnePassRequestHeadersFilter} and {@link ResponseHopByHopHeadersFilter} in the place
 * of Spring Cloud Gateway's {@code removeHopByHopHeadersFilter}, {@code removeForwardedHeadersFilter}
 * and {@code removeXForwardedHeadersFilter} beans, keeping whichever of the forwarding rules Spring
 * Cloud Gateway's conditions chose (none when trusted proxies are configured: then its
 * {@code Forwarded} and {@code X-Forwarded-*} filters stay, untouched).
 *
 * <p>Should a Spring Cloud Gateway version name its beans otherwise, nothing is replaced and its
 * own filters run as they are.
 */
public class OnePassHeaderFiltersRegistrar implements BeanDefinitionRegistryPostProcessor {

	static final String HOP_BY_HOP = "removeHopByHopHeadersFilter";

	static final String FORWARDED = "removeForwardedHeadersFilter";

	static final String X_FORWARDED = "removeXForwardedHeadersFilter";

	static final String RESPONSE_HOP_BY_HOP = "responseHopByHopHeadersFilter";

	private static final Log logger = LogFactory.getLog(OnePassHeaderFiltersRegistrar.class);

	@Override
	public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
		if (!registry.containsBeanDefinition(HOP_BY_HOP)) {
			logger.info("No '" + HOP_BY_HOP + "' bean: Spring Cloud Gateway's header filters are left as they are");
			return;
		}
		boolean forwarded = remove(registry, FORWARDED);
		boolean xForwarded = remove(registry, X_FORWARDED);
		registry.removeBeanDefinition(HOP_BY_HOP);
		registry.registerBeanDefinition(HOP_BY_HOP, new RootBeanDefinition(OnePassRequestHeadersFilter.class,
				() -> new OnePassRequestHeadersFilter(forwarded, xForwarded)));
		registry.registerBeanDefinition(RESPONSE_HOP_BY_HOP,
				new RootBeanDefinition(ResponseHopByHopHeadersFilter.class, ResponseHopByHopHeadersFilter::new));
	}

	private static boolean remove(BeanDefinitionRegistry registry, String name) {
		if (!registry.containsBeanDefinition(name)) {
			return false;
		}
		registry.removeBeanDefinition(name);
		return true;
	}

}
