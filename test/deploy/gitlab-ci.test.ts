/**
 * .gitlab-ci.yml, loaded by gitlab-ci-local (which validates it against GitLab's schema) in a throwaway
 * repository, for the kinds of pipeline the project has: the default branch, a merge request, a feature
 * branch with and without a merge request, a tag and the schedule. gitlab-ci-local evaluates job rules,
 * but of workflow:rules it applies only their variables; whether a pipeline starts at all is read here from a
 * probe job that has the workflow's rules as its own, listed by gitlab-ci-local like the real jobs.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { ROOT } from './werf-config';

const run = promisify(execFile);
const GITLAB_CI_LOCAL = path.join(ROOT, 'node_modules/.bin/gitlab-ci-local');
/** The pipeline file of the probe job, next to .gitlab-ci.yml in the throwaway repository. */
const WORKFLOW_PROBE = 'workflow-probe.yml';
/** Variables a scenario sets itself; gitlab-ci-local would otherwise warn that they are predefined. */
const PREDEFINED = ['CI_PIPELINE_SOURCE', 'CI_COMMIT_BRANCH', 'CI_COMMIT_TAG', 'CI_COMMIT_REF_NAME', 'CI_COMMIT_REF_SLUG', 'CI_DEFAULT_BRANCH'];

type When = 'on_success' | 'manual' | 'never';
interface ListedJob {
  name: string;
  stage: string;
  when: When;
  allow_failure: boolean;
  needs?: { job: string; optional: boolean }[];
}
interface Rule {
  if?: string;
  when?: string;
}
interface JobConfig {
  stage?: string;
  script?: string[];
  before_script?: string[];
  needs?: (string | { job: string; optional?: boolean })[];
  rules?: Rule[];
  only?: unknown;
  except?: unknown;
  artifacts?: { paths?: string[]; when?: string };
  environment?: { name: string; url?: string; action?: string; on_stop?: string; auto_stop_in?: string };
  resource_group?: string;
  interruptible?: boolean;
  allow_failure?: boolean;
  variables?: Record<string, string>;
  tags?: string[];
  timeout?: string;
  inherit?: { default?: boolean | string[] };
}
/** What `default:` gives every job; gitlab-ci-local 4.64 copies only some of it (not tags or timeout) into the jobs. */
type Defaults = Pick<JobConfig, 'tags' | 'timeout' | 'before_script'>;

interface Scenario {
  branch: string;
  /** Variables as GitLab would set them for this kind of pipeline. */
  variables: Record<string, string>;
  /** Predefined variables GitLab leaves unset for this kind of pipeline. */
  unset: string[];
}

const scenarios = {
  'default branch': { branch: 'main', variables: { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main' }, unset: [] },
  'merge request': {
    branch: 'feature/avatars',
    variables: { CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7' },
    unset: ['CI_COMMIT_BRANCH'],
  },
  'feature branch': { branch: 'feature/avatars', variables: { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'feature/avatars' }, unset: [] },
  'feature branch with an open merge request': {
    branch: 'feature/avatars',
    variables: { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'feature/avatars', CI_OPEN_MERGE_REQUESTS: 'group/chat!7' },
    unset: [],
  },
  tag: { branch: 'main', variables: { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_TAG: 'v1.2.0' }, unset: ['CI_COMMIT_BRANCH'] },
  schedule: { branch: 'main', variables: { CI_PIPELINE_SOURCE: 'schedule', CI_COMMIT_BRANCH: 'main' }, unset: [] },
} satisfies Record<string, Scenario>;
type ScenarioName = keyof typeof scenarios;

let repo: string;

async function git(...args: string[]): Promise<void> {
  await run('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { cwd: repo });
}

async function gitlabCiLocal(scenario: Scenario, ...args: string[]): Promise<string> {
  await git('checkout', '-q', scenario.branch);
  const variables = Object.entries(scenario.variables).flatMap(([name, value]) => ['--variable', `${name}=${value}`]);
  const unset = scenario.unset.flatMap((name) => ['--unset-variable', name]);
  const { stdout } = await run(
    GITLAB_CI_LOCAL,
    ['--ignore-predefined-vars', PREDEFINED.join(','), ...variables, ...unset, ...args],
    { cwd: repo, env: { ...process.env, FORCE_COLOR: '0' } },
  );
  return stdout;
}

async function listJobs(scenario: Scenario, ...args: string[]): Promise<ListedJob[]> {
  const listing = await gitlabCiLocal(scenario, ...args, '--list-json');
  return JSON.parse(listing.slice(listing.indexOf('\n[') + 1)) as ListedJob[];
}

/** The jobs of the pipeline, or null when workflow:rules start no pipeline at all. */
async function pipeline(name: ScenarioName): Promise<Map<string, ListedJob> | null> {
  const scenario: Scenario = scenarios[name];
  // A rule that matches without a `when` starts the pipeline, and runs the probe job; no matching rule does neither.
  const [probe] = await listJobs(scenario, '--file', WORKFLOW_PROBE);
  if (probe?.when === 'never') return null;
  const jobs = await listJobs(scenario);
  return new Map(jobs.map((job) => [job.name, job]));
}

/** Job name -> when, for the jobs that run (never left out). */
async function jobsRunning(name: ScenarioName): Promise<Record<string, string>> {
  const jobs = await pipeline(name);
  if (!jobs) return {};
  return Object.fromEntries(
    [...jobs.values()].filter((job) => job.when !== 'never').map((job) => [job.name, job.when === 'manual' && job.allow_failure ? 'manual, optional' : job.when]),
  );
}

let expanded: Record<string, JobConfig> & { stages: string[]; workflow: { rules: Rule[] }; variables: Record<string, string> };
let defaults: Defaults;

/** The jobs of the expanded pipeline (no top-level keywords, no hidden keys). */
const jobsOf = (): [string, JobConfig][] =>
  Object.entries(expanded).filter(([name]) => !['stages', 'variables', 'workflow', 'default'].includes(name)) as [string, JobConfig][];

/** A keyword as GitLab applies it to a job: its own value, else the one from `default:` unless the job opts out. */
function effective<K extends keyof Defaults>(job: JobConfig, keyword: K): JobConfig[K] {
  if (job[keyword] !== undefined) return job[keyword];
  const inherit = job.inherit?.default;
  const inherits = inherit === undefined || inherit === true || (Array.isArray(inherit) && inherit.includes(keyword));
  return inherits ? defaults[keyword] : undefined;
}

beforeAll(async () => {
  repo = mkdtempSync(path.join(tmpdir(), 'chat-gitlab-ci-'));
  copyFileSync(path.join(ROOT, '.gitlab-ci.yml'), path.join(repo, '.gitlab-ci.yml'));
  await git('init', '-q', '-b', 'main');
  await git('add', '.gitlab-ci.yml');
  await git('commit', '-q', '-m', 'pipeline');
  // The default branch as GitLab's clone knows it: origin/HEAD -> origin/main.
  await git('remote', 'add', 'origin', 'https://gitlab.example.com/group/chat.git');
  await git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  await git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  await git('branch', 'feature/avatars');
  expanded = load(await gitlabCiLocal(scenarios['default branch'], '--preview')) as typeof expanded;
  writeFileSync(path.join(repo, WORKFLOW_PROBE), JSON.stringify({ 'workflow-rules': { script: ['true'], rules: expanded.workflow.rules } }));
  defaults = (load(readFileSync(path.join(ROOT, '.gitlab-ci.yml'), 'utf8')) as { default?: Defaults }).default ?? {};
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('.gitlab-ci.yml', () => {
  it('is refused by the same validation when it breaks GitLab’s schema', async () => {
    writeFileSync(path.join(repo, 'broken.yml'), 'stages: [build]\nbuild:\n  stage: build\n  script: ["true"]\n  rules:\n    - when: sometimes\n');
    await expect(listJobs(scenarios['default branch'], '--file', 'broken.yml')).rejects.toThrow(/when/);
  });

  it('has the stages build, test, deploy, smoke and cleanup, and uses rules (never only/except)', () => {
    expect(expanded.stages.filter((stage) => !stage.startsWith('.'))).toEqual(['build', 'test', 'deploy', 'smoke', 'cleanup']);
    for (const [name, job] of jobsOf()) {
      expect([name, job.only, job.except, Array.isArray(job.rules)]).toEqual([name, undefined, undefined, true]);
      // trdl and werf, then the GitLab integration, before every job's own script (the smoke checks need only curl).
      expect([name, effective(job, 'before_script')]).toEqual([name, name.startsWith('smoke:') ? [] : defaults.before_script]);
    }
  });

  it('runs every job only on the werf runners, whose tag is set in one variable', () => {
    // A runner that takes untagged jobs (a shared Docker runner) has no trdl or werf.
    expect(defaults.tags).toEqual(['$CHAT_RUNNER_TAG']);
    expect(expanded.variables.CHAT_RUNNER_TAG).toMatch(/^\S+$/);
    for (const [name, job] of jobsOf()) expect([name, effective(job, 'tags')]).toEqual([name, ['$CHAT_RUNNER_TAG']]);
  });

  it('installs trdl only after its signature checks out, and activates the pinned werf 2', async () => {
    const [installTrdl, useWerf, ciEnv, ...rest] = defaults.before_script ?? [];
    expect(rest).toEqual([]);
    expect(expanded.variables.WERF_VERSION).toMatch(/^2\.\d+\.\d+$/);
    expect(useWerf).toBe('source "$(trdl use werf "v$WERF_VERSION")"');
    expect(ciEnv).toBe('source "$(werf ci-env gitlab --as-file)"');
    // The install block: valid bash, every download fails the job on an HTTP error, and the binary reaches
    // ~/bin only after gpg has verified trdl's signature of it.
    await run('bash', ['-n', '-c', installTrdl ?? '']);
    const lines = (installTrdl ?? '').split('\n').map((line) => line.trim());
    const downloads = lines.filter((line) => line.startsWith('curl '));
    expect(downloads.map((line) => line.split(' ')[1])).toEqual(['-fsSL', '-fsSL', '-fsSL']);
    const verify = lines.findIndex((line) => /^gpg --batch --verify "\S+\/trdl\.sig" "\S+\/trdl"$/.test(line));
    const install = lines.findIndex((line) => line.startsWith('install '));
    expect(verify).toBeGreaterThan(lines.findIndex((line) => line.includes('gpg --batch --import')));
    expect(install).toBeGreaterThan(verify);
    expect(downloads[0]).toContain('/releases/$TRDL_VERSION/');
    // werf's TUF repository, trusted by the checksum of its root that werf's installation docs give.
    expect(lines).toContainEqual(expect.stringMatching(/^trdl add werf https:\/\/tuf\.werf\.io 1 [0-9a-f]{128}$/));
  });

  it('gives every job a time limit of its own, below GitLab’s default hour except for the cleanup', () => {
    const minutes = (timeout: string | undefined): number => {
      const match = /^(\d+)(m|h)$/.exec(timeout ?? '');
      if (!match) throw new Error(`not a timeout of the form 30m or 1h: ${timeout}`);
      return Number(match[1]) * (match[2] === 'h' ? 60 : 1);
    };
    for (const [name, job] of jobsOf()) {
      expect([name, minutes(effective(job, 'timeout'))]).toEqual([name, name === 'cleanup' ? 60 : expect.any(Number)]);
      if (name !== 'cleanup') expect([name, minutes(effective(job, 'timeout')) < 60]).toEqual([name, true]);
    }
  });

  it('builds with werf, tests inside the built image, deploys with converge and cleans up on schedule', () => {
    expect(expanded.build?.script).toEqual(['werf build']);
    expect(expanded.test?.script).toEqual(['werf kube-run node-build -- npm run lint', 'werf kube-run node-build -- npm run test:unit']);
    for (const name of ['deploy:review', 'deploy:staging', 'deploy:production']) {
      expect(expanded[name]?.script?.[0]).toMatch(/^werf converge /);
      expect(expanded[name]?.variables?.WERF_REQUIRE_BUILT_IMAGES).toBe('true');
    }
    // Only staging and production decrypt .helm/secret-values.yaml; branch pipelines never need the key.
    expect(expanded['deploy:review']?.variables?.WERF_IGNORE_SECRET_KEY).toBe('true');
    for (const name of ['deploy:staging', 'deploy:production']) expect(expanded[name]?.variables?.WERF_IGNORE_SECRET_KEY).toBeUndefined();
    // Without the key review pods pull with GitLab's gitlab-deploy-token, set where the chart's pull Secret reads its token.
    const review = expanded['deploy:review']?.variables ?? {};
    expect(review.WERF_SET_REGISTRY_USERNAME).toMatch(/^secrets\.registryUsername\._default=\$\{?CI_DEPLOY_USER\}?$/);
    expect(review.WERF_SET_REGISTRY_PASSWORD).toMatch(/^secrets\.registryPassword\._default=\$\{?CI_DEPLOY_PASSWORD\}?$/);
    const chartSecrets = (load(readFileSync(path.join(ROOT, '.helm/values.yaml'), 'utf8')) as { secrets: Record<string, object> }).secrets;
    for (const key of ['registryUsername', 'registryPassword']) expect(chartSecrets[key]).toHaveProperty('_default');
    expect(expanded.cleanup?.script?.at(-1)).toBe('werf cleanup');
    expect(expanded.cleanup?.variables?.GIT_DEPTH).toBe('0');
  });

  it('stops a review environment without a checkout: dismiss uses the deploy report the deploy job saved', () => {
    for (const name of ['deploy:review', 'deploy:staging', 'deploy:production']) {
      expect([name, expanded[name]?.script?.[0]]).toEqual([name, expect.stringMatching(/^werf converge --save-deploy-report /)]);
      // Kept even when the deploy fails: a half-made release still has to be removable.
      expect([name, expanded[name]?.artifacts]).toEqual([name, { paths: ['.werf-deploy-report.json'], when: 'always' }]);
    }
    const stop = expanded['stop:review'];
    expect(stop?.variables?.GIT_STRATEGY).toBe('none');
    expect(stop?.script).toEqual(['werf dismiss --use-deploy-report --with-namespace']);
    expect(stop?.needs).toEqual([{ job: 'deploy:review', artifacts: true, optional: false }]);
    // Nothing in the job may need the repository: no werf.yaml, no chart, no secret key.
    expect(stop?.variables?.WERF_IGNORE_SECRET_KEY).toBeUndefined();
  });

  it('smoke-checks each deployed environment through the URL it was deployed to, without counting as a deployment', () => {
    for (const env of ['review', 'staging', 'production']) {
      const smoke = expanded[`smoke:${env}`];
      const deployed = expanded[`deploy:${env}`]?.environment;
      expect(smoke?.script).toEqual(['bash scripts/smoke.sh "$CI_ENVIRONMENT_URL"']);
      expect(smoke?.environment).toEqual({ name: deployed?.name, url: deployed?.url, action: 'verify' });
      // A failed check fails the pipeline.
      expect([env, smoke?.allow_failure ?? false]).toEqual([env, false]);
    }
    // The script the jobs run; test/deploy/smoke.test.ts runs it against the real server.
    expect(statSync(path.join(ROOT, 'scripts/smoke.sh')).isFile()).toBe(true);
  });

  it('gives each environment its own resource group and never interrupts a deploy', () => {
    for (const [name, job] of jobsOf()) {
      if (job.environment) expect([name, job.resource_group]).toEqual([name, job.environment.name]);
      const safeToCancel = name === 'build' || name === 'test';
      expect([name, job.interruptible === true]).toEqual([name, safeToCancel]);
    }
    expect(expanded.cleanup?.resource_group).toBe('cleanup');
  });

  it('runs a review environment per branch, in its own namespace and host, stopped by werf dismiss', () => {
    const review = expanded['deploy:review']?.environment;
    expect(review).toMatchObject({ name: 'review/$CI_COMMIT_REF_SLUG', on_stop: 'stop:review', auto_stop_in: expect.any(String) });
    expect(review?.url).toMatch(/\$CI_ENVIRONMENT_SLUG\./);
    expect(expanded['stop:review']?.environment).toEqual({ name: review?.name, action: 'stop' });
  });

  it.each<[ScenarioName, Record<string, string>]>([
    [
      'default branch',
      { build: 'on_success', test: 'on_success', 'deploy:staging': 'on_success', 'smoke:staging': 'on_success', 'deploy:production': 'manual, optional', 'smoke:production': 'on_success' },
    ],
    ['merge request', { build: 'on_success', test: 'on_success', 'deploy:review': 'on_success', 'smoke:review': 'on_success', 'stop:review': 'manual, optional' }],
    ['feature branch', { build: 'on_success', test: 'on_success', 'deploy:review': 'manual, optional', 'smoke:review': 'on_success', 'stop:review': 'manual, optional' }],
    ['feature branch with an open merge request', {}],
    ['tag', { build: 'on_success', test: 'on_success', 'deploy:production': 'manual, optional', 'smoke:production': 'on_success' }],
    ['schedule', { cleanup: 'on_success' }],
  ])('runs the expected jobs for a %s pipeline', async (name, expected) => {
    expect(await jobsRunning(name)).toEqual(expected);
  });

  it('deploys only built and tested images, and production after staging on the default branch', async () => {
    const jobs = await pipeline('default branch');
    const needs = (job: string): string[] =>
      (jobs?.get(job)?.needs ?? []).map((need) => `${need.job}${need.optional ? ' (optional)' : ''}`).sort();
    expect(needs('test')).toEqual(['build']);
    expect(needs('deploy:staging')).toEqual(['build', 'test']);
    expect(needs('deploy:review')).toEqual(['build', 'test']);
    expect(needs('deploy:production')).toEqual(['build', 'deploy:staging (optional)', 'test']);
    expect(needs('stop:review')).toEqual(['deploy:review']);
    for (const env of ['review', 'staging', 'production']) expect(needs(`smoke:${env}`)).toEqual([`deploy:${env}`]);
    expect(needs('cleanup')).toEqual([]);
  });
});
