/** The logged-in screen: sidebar (profile, rooms, who is online) and the open room. */
import { useEffect, useRef, useState } from 'react';
import type { SelfUser } from '../../shared/protocol';
import type { Api } from '../lib/api';
import { useChat } from '../hooks/useChat';
import { conversationTitle, isReading, viewOf } from '../state/chat';
import { typingLine } from '../state/typing';
import { Composer } from './Composer';
import { DirectList } from './DirectList';
import { MembersPanel } from './MembersPanel';
import { MessageList } from './MessageList';
import { NotificationsButton } from './NotificationsButton';
import { OnlineList } from './OnlineList';
import { ProfilePanel } from './ProfilePanel';
import { RoomList, roomMark } from './RoomList';
import { SearchPanel } from './SearchPanel';

const PAGE_TITLE = 'Chat';
const CONNECTION_LABELS = { connecting: 'Connecting…', reconnecting: 'Reconnecting…', online: null } as const;

export function ChatScreen(props: { api: Api; self: SelfUser; onSignedOut: () => void; onSessionLost: () => void }) {
  const chat = useChat(props.api, props.self, props.onSessionLost);
  const { state } = chat;
  const [drawerOpen, setDrawerOpen] = useState(false);
  const view = viewOf(state, state.activeRoom);
  const typing = typingLine(view.typing, state.selfId);
  const connectionLabel = CONNECTION_LABELS[state.connection];
  const me = { ...props.self, ...state.users[state.selfId] };
  /** A conversation's name with its mark, as the header shows it: #general, 🔒plans, @bob. */
  const titleOf = (name: string) => {
    const room = state.rooms.find((listed) => listed.name === name);
    return `${roomMark(room)}${conversationTitle(room, name, state.selfId)}`;
  };
  const active = state.rooms.find((room) => room.name === state.activeRoom);
  const title = conversationTitle(active, state.activeRoom, state.selfId);
  const markedTitle = titleOf(state.activeRoom);
  const reading = isReading(state, state.activeRoom) ? state.activeRoom : null;
  const unreadTotal = state.rooms.reduce((total, room) => total + (room.joined && room.name !== reading ? room.unreadCount : 0), 0);

  // Unread messages in other rooms show in the tab's title too, for a reader in another tab.
  useEffect(() => {
    document.title = unreadTotal > 0 ? `(${unreadTotal}) ${PAGE_TITLE}` : PAGE_TITLE;
    return () => {
      document.title = PAGE_TITLE;
    };
  }, [unreadTotal]);

  const menuButton = useRef<HTMLButtonElement>(null);
  const sidebar = useRef<HTMLElement>(null);

  // The opened drawer takes the focus (the open room's entry), so a keyboard goes on inside it; Escape closes it
  // wherever the focus is (a tap may leave it on the page itself) and gives the focus back to the ☰ button.
  useEffect(() => {
    if (!drawerOpen) return;
    sidebar.current?.querySelector<HTMLElement>('[aria-current="page"]')?.focus();
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setDrawerOpen(false);
      menuButton.current?.focus();
    };
    window.addEventListener('keydown', closeOnEscape);
    return () => window.removeEventListener('keydown', closeOnEscape);
  }, [drawerOpen]);

  function openRoom(name: string) {
    chat.selectRoom(name);
    setDrawerOpen(false);
  }

  async function startDirect(userIds: number[]) {
    await chat.startDirect(userIds);
    setDrawerOpen(false);
  }

  /** From a name in the online list or on a message: a failure is told in the notice line. */
  function messagePerson(userId: number) {
    startDirect([userId]).catch((error: unknown) => chat.notify(error instanceof Error ? error.message : String(error)));
  }

  return (
    <div className={drawerOpen ? 'chat chat--drawer-open' : 'chat'}>
      <aside className="sidebar" id="sidebar" aria-label="Rooms and people" ref={sidebar}>
        <ProfilePanel api={props.api} self={me} onProfileUpdated={chat.profileUpdated} onSignedOut={props.onSignedOut} />
        <SearchPanel
          api={props.api}
          titleOf={titleOf}
          onOpen={(hit) => {
            setDrawerOpen(false);
            void chat.openMessage(hit.message.room, hit.message.id);
          }}
        />
        <RoomList
          rooms={state.rooms.filter((room) => room.kind !== 'direct')}
          activeRoom={state.activeRoom}
          reading={reading}
          onSelect={openRoom}
          onCreate={async (name, isPrivate) => {
            await chat.createRoom(name, isPrivate);
            setDrawerOpen(false);
          }}
          onJoin={async (name) => {
            await chat.joinRoom(name);
            setDrawerOpen(false);
          }}
          onLeave={chat.leaveRoom}
        />
        <DirectList
          conversations={state.rooms.filter((room) => room.kind === 'direct')}
          activeRoom={state.activeRoom}
          selfId={state.selfId}
          reading={reading}
          onSelect={openRoom}
          onLeave={chat.leaveRoom}
          findUsers={chat.findUsers}
          onStart={startDirect}
        />
        {active?.kind === 'private' && (
          <MembersPanel room={active} selfId={state.selfId} members={chat.members} findUsers={chat.findUsers} onInvite={chat.invite} onRemove={chat.removeMember} />
        )}
        <OnlineList title={markedTitle} online={view.online} users={state.users} selfId={state.selfId} onStartDirect={messagePerson} />
        <NotificationsButton />
      </aside>
      <button type="button" className="scrim" aria-label="Close the room list" tabIndex={-1} onClick={() => setDrawerOpen(false)} />
      <main className="room">
        <header className="room__header">
          <button
            ref={menuButton}
            type="button"
            className="room__menu"
            aria-controls="sidebar"
            aria-expanded={drawerOpen}
            aria-label={unreadTotal > 0 ? `Rooms and people, ${unreadTotal} unread` : 'Rooms and people'}
            onClick={() => setDrawerOpen(!drawerOpen)}
          >
            ☰{unreadTotal > 0 && <span className="badge room__menu-badge">{unreadTotal}</span>}
          </button>
          <h2 className="room__title">
            {roomMark(active)} {title}
          </h2>
          <span className="room__online">{view.online.length} online</span>
        </header>
        {connectionLabel && (
          <div className={`connection connection--${state.connection}`} role="status">
            {connectionLabel}
          </div>
        )}
        {state.notice && (
          <div className="notice" role="alert">
            <span>{state.notice}</span>
            <button type="button" className="notice__close" aria-label="Dismiss" onClick={chat.dismissNotice}>
              ×
            </button>
          </div>
        )}
        <MessageList
          room={state.activeRoom}
          title={markedTitle}
          view={view}
          users={state.users}
          selfId={state.selfId}
          selfName={me.username}
          ownsRoom={state.rooms.some((room) => room.name === state.activeRoom && room.ownerId === state.selfId)}
          onLoadOlder={() => chat.loadOlder(state.activeRoom)}
          onEdit={chat.editMessage}
          onDelete={chat.deleteMessage}
          onRetry={chat.retry}
          onDiscard={chat.discard}
          focus={state.focus?.room === state.activeRoom ? state.focus : null}
          onCloseFocus={chat.closeFocus}
          onStartDirect={messagePerson}
        />
        <p className="typing" aria-live="polite">
          {typing ?? ''}
        </p>
        <Composer room={state.activeRoom} title={markedTitle} selfId={state.selfId} onSend={chat.send} onTyping={chat.notifyTyping} members={chat.members} />
      </main>
    </div>
  );
}
