import { randomBytes, createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, peer } from '@hyperledger/fabric-protos';
import type { Signer } from '@hyperledger/fabric-gateway';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import {
  asPeerOutage,
  PEER_CHANNEL_OPTIONS,
  serializedIdentity,
  sha256,
  signerFor,
  type FabricIdentity,
  type PeerEndpoint,
} from './connection.js';

export class PeerProposalError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PeerProposalError';
  }
}

async function signedProposal(
  id: FabricIdentity,
  signer: Signer,
  chaincode: string,
  args: Uint8Array[],
  channel: string,
): Promise<peer.SignedProposal> {
  const creatorBytes = serializedIdentity(id);
  const nonce = randomBytes(24);

  const ccid = new peer.ChaincodeID();
  ccid.setName(chaincode);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(ccid);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setTxId(createHash('sha256').update(nonce).update(creatorBytes).digest('hex'));
  channelHeader.setTimestamp(timestampPb.Timestamp.fromDate(new Date()));
  channelHeader.setChannelId(channel);
  channelHeader.setExtension$(extension.serializeBinary());

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creatorBytes);
  signatureHeader.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const input = new peer.ChaincodeInput();
  input.setArgsList(args);
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.GOLANG);
  spec.setChaincodeId(ccid);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocation.serializeBinary());

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const bytes = proposal.serializeBinary();
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(bytes);
  signed.setSignature(await signer(sha256(bytes)));
  return signed;
}

/**
 * Sends a proposal straight to one peer's endorser, as the Gateway cannot for peer-local
 * functions (no channel: _lifecycle InstallChaincode, cscc JoinChain) or for asking one given
 * peer (qscc GetChainInfo on a new peer).
 */
export async function peerLocalCall(
  target: PeerEndpoint,
  id: FabricIdentity,
  chaincode: string,
  fcn: string,
  args: Uint8Array[],
  channel = '',
  timeoutMs = 120_000,
): Promise<Uint8Array> {
  const proposal = await signedProposal(id, signerFor(id), chaincode, [Buffer.from(fcn), ...args], channel);
  const endorser = new peer.EndorserClient(
    target.address,
    grpc.credentials.createSsl(Buffer.from(target.tlsRootPem)),
    PEER_CHANNEL_OPTIONS,
  );
  try {
    const response = await new Promise<peer.ProposalResponse>((resolve, reject) => {
      endorser.processProposal(proposal, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err !== null || res === undefined ? reject(asPeerOutage(err ?? new Error('no response'), target.address)) : resolve(res),
      );
    });
    const r = response.getResponse();
    const status = r?.getStatus() ?? 0;
    if (status < 200 || status >= 400)
      throw new PeerProposalError(`${fcn} on ${target.address}: ${r?.getMessage() ?? 'no message'}`, status);
    return r?.getPayload_asU8() ?? new Uint8Array();
  } finally {
    endorser.close();
  }
}
