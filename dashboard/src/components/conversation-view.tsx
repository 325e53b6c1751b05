import type { Conversation, ConversationBlock } from '../conversation.js';
import { prettyJson } from '../conversation.js';

function BlockView({ block }: { block: ConversationBlock }) {
  switch (block.kind) {
    case 'text':
      return <div className="block text">{block.text}</div>;
    case 'thinking':
      return (
        <div className="block thinking" data-testid="thinking-block">
          <div className="block-kind">thinking</div>
          {block.text}
        </div>
      );
    case 'redacted_thinking':
      return (
        <div className="block thinking">
          <div className="block-kind">redacted thinking</div>
        </div>
      );
    case 'tool_use':
      return (
        <div className="block tool_use" data-testid="tool-use-block">
          <div className="block-kind">
            tool call · <strong>{block.name}</strong> <span className="mono muted">{block.id}</span>
          </div>
          <pre>{prettyJson(block.input)}</pre>
        </div>
      );
    case 'tool_result':
      return (
        <div className="block tool_result" data-testid="tool-result-block">
          <div className="block-kind">
            tool result <span className="mono muted">{block.toolUseId}</span> {block.isError && <span className="badge error">error</span>}
          </div>
          {block.content.map((inner, index) => (
            <BlockView key={index} block={inner} />
          ))}
        </div>
      );
    case 'image':
      return <div className="block muted">[image {block.mediaType}]</div>;
    case 'document':
      return <div className="block muted">[document {block.title}]</div>;
    case 'other':
      return (
        <div className="block">
          <div className="block-kind">{block.type}</div>
          <pre>{block.json}</pre>
        </div>
      );
    default: {
      const unreachable: never = block;
      return unreachable;
    }
  }
}

/** The messages of a logged request and the answer, block by block (text, thinking, tool calls and results). */
export function ConversationView({ conversation }: { conversation: Conversation }) {
  return (
    <div>
      {conversation.tools.length > 0 && (
        <p className="muted">
          Tools offered: <span className="mono">{conversation.tools.join(', ')}</span>
        </p>
      )}
      {conversation.turns.map((turn, index) => (
        <div key={index} className={`message ${turn.role}`}>
          <div className="message-role">
            {turn.role}
            {turn.answer && ' · answer'}
          </div>
          {turn.blocks.length === 0 ? (
            <div className="block muted">(empty)</div>
          ) : (
            turn.blocks.map((block, blockIndex) => <BlockView key={blockIndex} block={block} />)
          )}
        </div>
      ))}
    </div>
  );
}
