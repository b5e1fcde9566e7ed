import { describe, expect, it } from 'vitest';
import { displayUrl, endpointUrl, urlProblem } from '../../../../src/pipeline/check/http-url.js';

describe('the URLs check shows and asks', () => {
  it('shows a URL without user info and with secret-looking query values masked', () => {
    expect(displayUrl('https://ops:hunter2@lb.example/?access_token=abc123&limit=1#frag')).toBe(
      'https://lb.example/?access_token=***&limit=1',
    );
    expect(displayUrl('http://10.0.1.5:8080/aragora?api-key=k&sig=s&x=1')).toBe(
      'http://10.0.1.5:8080/aragora?api-key=***&sig=***&x=1',
    );
    expect(displayUrl('not a url hunter2')).toBe('<not a URL>');
  });

  it('puts an endpoint under the base URL, keeping its path prefix and query', () => {
    expect(endpointUrl('https://lb.example', '/healthz').toString()).toBe('https://lb.example/healthz');
    expect(endpointUrl('https://lb.example/aragora/', '/readyz/dependencies').toString()).toBe(
      'https://lb.example/aragora/readyz/dependencies',
    );
    expect(endpointUrl('https://u:p@lb.example/?tenant=a', '/api/v1/debates?limit=1').toString()).toBe(
      'https://u:p@lb.example/api/v1/debates?tenant=a&limit=1',
    );
  });

  it('says why a URL cannot be asked', () => {
    expect(urlProblem('https://lb.example')).toBeNull();
    expect(urlProblem('lb.example')).toBe('it is not a URL');
    expect(urlProblem('ftp://lb.example')).toMatch(/ftp:/);
  });
});
