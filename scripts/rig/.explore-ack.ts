// temporary exploration helper (deleted after use)
import { writeFileSync } from 'node:fs';
import { startRig } from './rig.ts';
import { installCrds, kubectlOk } from '../../operator/test/rig/kubectl.ts';
import { startAckRdsController } from '../../operator/test/rig/ack-controller.ts';
const rig = await startRig({ nodes: 1, log: (l) => console.log(l) });
installCrds(rig);
kubectlOk(rig, ['create', 'namespace', 'x']);
const ack = await startAckRdsController(rig, { awsEndpoint: rig.awsEndpoint!, namespace: 'x', logDir: '/tmp/explore' });
writeFileSync('/tmp/explore/env', `export KUBECONFIG=${rig.kubeconfig}\nexport MOTO=${rig.awsEndpoint}\nexport RIGDIR=${rig.dir}\nexport ACKPID=${ack.pid}\n`);
console.log('READY');
const bye = async () => { await ack.stop(); await rig.stop(); process.exit(0); };
process.on('SIGTERM', bye); process.on('SIGINT', bye);
setInterval(() => {}, 1 << 30);
