import type { HttpProbeOptions } from './http-probe.js';

/** One base URL check asks: the load balancer (--url) or an instance (--instance-url). */
export interface HttpTarget {
  readonly role: 'load balancer' | 'instance';
  /** As given, credentials included: only ever passed to the request, never shown. */
  readonly url: string;
  /** displayUrl(url). */
  readonly shown: string;
}

/** How every probe of one check run is made. */
export interface HttpClient extends HttpProbeOptions {
  readonly caFileGiven: boolean;
}
